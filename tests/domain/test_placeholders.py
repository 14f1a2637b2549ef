import pytest

from webapp.domain.placeholders import compile_text, tag_for

COLUMNS = ["Telefon", "Nume", "Prenume", "Data", "Data nasterii", "Oraș", "Имя", " Sumă "]
ROW = ["+40722123456", "Popescu", "Ion", "01.02.2026", "3 martie 1990", "Iași", "Иван", "  12,50 "]


@pytest.mark.parametrize(
    "text, rendered, used",
    [
        ("Bună ziua, #Nume!", "Bună ziua, Popescu!", ("Nume",)),
        ("#Nume la început", "Popescu la început", ("Nume",)),
        ("la sfârșit #Nume", "la sfârșit Popescu", ("Nume",)),
        ("#Nume", "Popescu", ("Nume",)),
        ("#Prenume#Nume", "IonPopescu", ("Prenume", "Nume")),  # adjacent
        ("#Nume, #Prenume.", "Popescu, Ion.", ("Nume", "Prenume")),  # punctuation right after
        ("#Nume;#Prenume?!", "Popescu;Ion?!", ("Nume", "Prenume")),
        ("(#Nume)", "(Popescu)", ("Nume",)),
        ("#Data nasterii / #Data", "3 martie 1990 / 01.02.2026", ("Data nasterii", "Data")),  # longest wins
        ("#Data naster", "01.02.2026 naster", ("Data",)),  # the longer name does not fit
        ("#Data-nasterii", "01.02.2026-nasterii", ("Data",)),
        ("#data NASTERII", "3 martie 1990", ("Data nasterii",)),  # case-insensitive
        ("#NUME #nume #Nume", "Popescu Popescu Popescu", ("Nume",)),  # used once each
        ("Din #Oraș.", "Din Iași.", ("Oraș",)),
        ("Din #ORAȘ", "Din Iași", ("Oraș",)),  # diacritic upper-cased too
        ("Здравствуйте, #Имя!", "Здравствуйте, Иван!", ("Имя",)),
        ("#имя", "Иван", ("Имя",)),  # Cyrillic, other case
        ("Aveți de plată #Sumă lei", "Aveți de plată 12,50 lei", (" Sumă ",)),  # title with spaces, value stripped
        ("##Nume", "#Popescu", ("Nume",)),
        ("Tel: #Telefon", "Tel: +40722123456", ("Telefon",)),
        ("Șoseaua Ștefan cel Mare, #Nume", "Șoseaua Ștefan cel Mare, Popescu", ("Nume",)),
        ("İstanbul, #Nume", "İstanbul, Popescu", ("Nume",)),  # a letter whose lower case is longer
    ],
)
def test_placeholders_are_replaced(text, rendered, used):
    template = compile_text(text, COLUMNS)
    assert template.unknown == ()
    assert template.used == used
    assert template.personalised
    assert template.render(ROW) == (rendered, 0)


@pytest.mark.parametrize(
    "text",
    [
        "Ești pe locul #1 în top",
        "Un # singur",
        "Se termină cu #",
        "#",
        "#1#2#3",
        "# Nume",  # a space after # is text
        "#_Nume",
        "#!",
        "",
        "Fără nimic",
        "Preț: 5# / buc",
    ],
)
def test_hash_without_a_letter_is_plain_text(text):
    template = compile_text(text, COLUMNS)
    assert (template.unknown, template.used, template.personalised) == ((), (), False)
    assert template.render(ROW) == (text, 0)
    assert template.render([]) == (text, 0)


@pytest.mark.parametrize(
    "text, unknown, rendered",
    [
        ("Salut #Numele", ("#Numele",), "Salut #Numele"),  # followed directly by letters
        ("#Nume_x", ("#Nume_x",), "#Nume_x"),
        ("#Orașul", ("#Orașul",), "#Orașul"),
        ("#Имяя", ("#Имяя",), "#Имяя"),
        ("#Promo azi! #Promo mâine, #Reducere", ("#Promo", "#Reducere"), "#Promo azi! #Promo mâine, #Reducere"),
        ("#Zebra #Alfa #Zebra", ("#Zebra", "#Alfa"), "#Zebra #Alfa #Zebra"),
        ("#Numele #Nume", ("#Numele",), "#Numele Popescu"),
        ("#Ștefan, #Nume", ("#Ștefan",), "#Ștefan, Popescu"),
        ("#Фамилия #Имя", ("#Фамилия",), "#Фамилия Иван"),
    ],
)
def test_unknown_placeholders_are_reported_once_in_order(text, unknown, rendered):
    template = compile_text(text, COLUMNS)
    assert template.unknown == unknown
    assert template.render(ROW)[0] == rendered


@pytest.mark.parametrize(
    "text, values, rendered, empty",
    [
        ("Salut #Prenume #Nume", ["", None, "Ana", "", "", "", "", ""], "Salut Ana ", 1),
        ("Salut #Prenume #Nume", ["", "   ", None], "Salut  ", 2),  # blank and None are empty
        ("#Nume #Nume", ["", ""], " ", 2),  # each placeholder counts
        ("#Nume din #Oraș", ["x", "Popescu"], "Popescu din ", 1),  # list shorter than the columns
        ("#Nume din #Oraș", [], " din ", 2),
        ("#Nume, #Sumă", ["", "\tPopescu\n", "", "", "", "", "", " 7 "], "Popescu, 7", 0),  # stripped
        ("#Nume are #Sumă", ["", "Ion", "", "", "", "", "", 12], "Ion are 12", 0),  # not a string
        ("#Nume are #Sumă", ["", "Ion", "", "", "", "", "", 0], "Ion are 0", 0),  # 0 is not empty
        ("Fără", [], "Fără", 0),
    ],
)
def test_render_from_a_list(text, values, rendered, empty):
    assert compile_text(text, COLUMNS).render(values) == (rendered, empty)


@pytest.mark.parametrize(
    "values, rendered, empty",
    [
        ({"Nume": "Popescu", "Oraș": "Cluj", " Sumă ": "5"}, "Popescu din Cluj: 5", 0),
        ({"Nume": " Popescu ", "Oraș": None, " Sumă ": ""}, "Popescu din : ", 2),
        ({}, " din : ", 3),
        ({"nume": "Popescu", "Oraș": "Cluj", " Sumă ": "5"}, " din Cluj: 5", 1),  # keys are the titles as given
    ],
)
def test_render_from_a_dict(values, rendered, empty):
    assert compile_text("#nume din #ORAȘ: #sumă", COLUMNS).render(values) == (rendered, empty)


def test_list_and_dict_give_the_same_text():
    template = compile_text("#Prenume #Nume din #Oraș, #Data nasterii, #Sumă", COLUMNS)
    by_name = dict(zip(COLUMNS, ROW))
    assert template.render(ROW) == template.render(by_name) == ("Ion Popescu din Iași, 3 martie 1990, 12,50", 0)


def test_a_template_renders_many_rows_independently():
    template = compile_text("#Nume: #Sumă", ["Nume", "Sumă"])
    assert [template.render(row) for row in (["A", "1"], ["", "2"], ["C"], [None, None])] == [
        ("A: 1", 0),
        (": 2", 1),
        ("C: ", 1),
        (": ", 2),
    ]


@pytest.mark.parametrize(
    "columns, text, rendered",
    [
        (["", "Nume"], "#Nume", "b"),  # a blank title is skipped
        (["   ", "Nume"], "# #Nume", "# b"),
        (["Data", "Data nasterii"], "#Data nasterii", "b"),  # order of the columns does not matter
        (["Data nasterii", "Data"], "#Data nasterii", "a"),
        (["Nume", "Nume complet"], "#Nume completă", "a completă"),
        (["Preț (lei)"], "#Preț (lei)x", "ax"),  # a title ending in punctuation
        (["  Oraș  "], "#oraș!", "a!"),
        (["İlçe", "Nume"], "#İlçe #Nume", "a b"),  # a title whose lower case is longer
    ],
)
def test_column_titles(columns, text, rendered):
    assert compile_text(text, columns).render(["a", "b"]) == (rendered, 0)


@pytest.mark.parametrize(
    "column, tag",
    [("Nume", "#Nume"), (" Sumă ", "#Sumă"), ("Data nasterii", "#Data nasterii"), ("Имя", "#Имя"), ("Oraș\t", "#Oraș")],
)
def test_tag_for(column, tag):
    assert tag_for(column) == tag


@pytest.mark.parametrize("column", COLUMNS)
def test_each_tag_inserts_its_own_column(column):
    template = compile_text(f"x {tag_for(column)} y", COLUMNS)
    assert template.used == (column,) and template.unknown == ()
    assert template.render(ROW) == (f"x {ROW[COLUMNS.index(column)].strip()} y", 0)


@pytest.mark.parametrize("columns", [["", "Nume"], ["Nume", "  "], ["", " ", "Nume", ""]])
def test_blank_titles_match_nothing(columns):
    template = compile_text("#Zebra #Nume #", columns)
    assert template.unknown == ("#Zebra",)
    assert template.used == ("Nume",)
    assert template.render({"Nume": "b"}) == ("#Zebra b #", 0)
