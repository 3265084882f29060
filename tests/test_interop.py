"""juicer.run / juicer.apply on the data types users hold (polars LazyFrame, pandas, Ray
Dataset, Dask DataFrame), each giving the same documents as on a pyarrow Table, and Juicer
operators used inside Ray Data's map_batches and Dask's map_partitions on real clusters."""
import pyarrow as pa
import pytest

import juicer
from tests.conftest import REPO

RECIPE = REPO / "recipes" / "quickstart.yaml"


@pytest.fixture(scope="module")
def table(sample_rows):
    rows = [{"id": row["id"], "lang": row["lang"], "text": row["text"]}
            for row in sample_rows[:800]]
    return pa.Table.from_pylist(rows)


@pytest.fixture(scope="module")
def expected(table):
    return juicer.run(RECIPE, table)


def test_polars_lazyframe_and_pandas(table, expected):
    import polars as pl

    lazy = juicer.run(RECIPE, pl.from_arrow(table).lazy())
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.collect().to_arrow().to_pylist() == expected.to_pylist()
    frame = juicer.run(RECIPE, table.to_pandas())
    assert type(frame).__name__ == "DataFrame" and type(frame).__module__.startswith("pandas")
    assert frame.to_dict("records") == expected.to_pylist()
    detailed = juicer.run(RECIPE, pl.from_arrow(table).lazy(), detailed=True)
    assert sum(detailed.counts.values()) == table.num_rows


@pytest.fixture(scope="module")
def ray_local():
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield ray
    ray.shutdown()


def test_ray_dataset_in_and_out_and_an_operator_in_map_batches(ray_local, table, expected):
    dataset = ray_local.data.from_arrow(table).repartition(4)
    kept = juicer.run(RECIPE, dataset)
    assert type(kept).__module__.startswith("ray.data")
    assert pa.concat_tables(ray_local.get(kept.to_arrow_refs())).to_pylist() == expected.to_pylist()

    # a filter as a batch function: each block is filtered on a Ray worker, as Arrow
    words = juicer.operator("words_num_filter", min_num=100)
    mapped = dataset.map_batches(words, batch_format="pyarrow", batch_size=None)
    got = pa.concat_tables(ray_local.get(mapped.to_arrow_refs()))
    reference = words(table)
    assert sorted(got.column("id").to_pylist()) == sorted(reference.column("id").to_pylist())
    assert 0 < got.num_rows < table.num_rows


def test_dask_dataframe_in_and_out_and_an_operator_in_map_partitions(table, expected):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster):
        frame = dd.from_pandas(table.to_pandas(), npartitions=4)
        kept = juicer.run(RECIPE, frame)
        assert kept.npartitions >= 1 and hasattr(kept, "map_partitions")
        assert kept.compute().to_dict("records") == expected.to_pylist()

        cleaner = juicer.operator("whitespace_normalization_mapper")
        length = juicer.operator("text_length_filter", min_len=2000)
        filtered = frame.map_partitions(lambda part: length(cleaner(part)),
                                        meta=frame._meta).compute()
        reference = length(cleaner(table))
        assert sorted(filtered["id"]) == sorted(reference.column("id").to_pylist())
        assert 0 < len(filtered) < table.num_rows
