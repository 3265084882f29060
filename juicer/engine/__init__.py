"""The engine: a recipe in, the outputs and the report out. Read in this order:

  driver        splits the input into shards and the pipeline into stages, runs each
                stage's shard tasks and each global step's phases over an executor, then
                the outputs and the report
  context       the run context every task shares, the task and result records
  work          the work folder: fingerprint, layout version, fresh / resumed / refused
  task_runner   maps tasks over an executor, reusing those a previous attempt finished
  pipeline      row-local steps over a table: stages, filters' rules, drop reasons, metrics
  shard_task    one shard through one stage (in a worker)
  global_steps  the kinds of global step (selection, pair, segment and span dedup) and the
                one sequence of phases they run, in tasks here or in memory (juicer.apply)
  dedup         from candidate pairs to verified clusters and per-document decisions
  global_tasks  a global step's reduce, shard-pass and combine tasks
  conflicts     fields whose type differs between parts of the input, reconciled
  outputs       data/, dropped/, quarantine/ cut into parts in row-id order
  run_report    report.json from the shard results (juicer.report renders it)
  executors/    local, Dask and Ray: they only map the task functions over workers
  memory        heap settings of task processes
  legacy        the names juicer.runner had"""
