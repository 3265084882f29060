import juicer
from tests.conftest import EDGE_TEXTS
from tests.operators.helpers import check_null_is_quarantined, kept_texts


def test_hand_checked_results():
    op = juicer.operator("sentence_split_mapper")
    assert kept_texts(op, [
        "First one. Second one! Third? “Quoted.” Last", "你好。再见！", "one line\n\n  two  ", ""]) == [
        "First one.\nSecond one!\nThird?\n“Quoted.”\nLast", "你好。\n再见！", "one line\ntwo", ""]


def test_real_documents_keep_every_non_space_character(sample_texts):
    texts = EDGE_TEXTS + sample_texts
    for text, result in zip(texts, kept_texts(juicer.operator("sentence_split_mapper"), texts)):
        assert "".join(result.split()) == "".join(text.split())
        assert all(line == line.strip() and line for line in result.split("\n") if result)


def test_null_text_is_quarantined():
    check_null_is_quarantined(juicer.operator("sentence_split_mapper"))


def test_no_break_inside_numbers_domains_abbreviations_and_acronyms():
    # a new user saw "Pi is 3.\n14 today."; Punkt (Data-Juicer's splitter) keeps these whole
    op = juicer.operator("sentence_split_mapper")
    assert kept_texts(op, [
        "Pi is 3.14 today. Visit example.com now.",
        "Dr. Smith met J. R. Tolkien in the U.S. on Monday. They talked.",
        "It costs 4.50 dollars, i.e. a lot. Fine.",
        "Really?! Yes… maybe not. OK",
    ]) == [
        "Pi is 3.14 today.\nVisit example.com now.",
        "Dr. Smith met J. R. Tolkien in the U.S. on Monday.\nThey talked.",
        "It costs 4.50 dollars, i.e. a lot.\nFine.",
        "Really?!\nYes… maybe not.\nOK",
    ]


def test_data_juicers_own_cases_in_four_languages():
    op = juicer.operator("sentence_split_mapper")
    cases = [  # (text, where Data-Juicer's test puts the only break)
        ("Smithfield employs 3,700 people at its plant in Sioux Falls, South Dakota. The "
         "plant slaughters 19,500 pigs a day — 5 percent of U.S. pork.", "Dakota."),
        ("Smithfield emploie 3,700 personnes dans son usine de Sioux Falls, dans le Dakota "
         "du Sud. L'usine abat 19 500 porcs par jour, soit 5 % du porc américain.", "Sud."),
        ("A Smithfield emprega 3.700 pessoas em sua fábrica em Sioux Falls, Dakota do Sul. A "
         "fábrica abate 19.500 porcos por dia – 5% da carne suína dos EUA.", "Sul."),
        ("Smithfield emplea a 3.700 personas en su planta de Sioux Falls, Dakota del Sur. La "
         "planta sacrifica 19.500 cerdos al día, el 5 por ciento de la carne de cerdo de EE.",
         "Sur."),
    ]
    for text, last_word in cases:
        head, tail = text.split(last_word + " ", 1)
        assert kept_texts(op, [text]) == [f"{head}{last_word}\n{tail}"]
