"""SMPP access rules: allowed networks (read, refused naming the line, matched), system_ids,
generated passwords, limits."""

import ipaddress

import pytest

from webapp.domain import smpp_access as rules


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("", ""),
        ("  \n\n", ""),
        ("203.0.113.0/24", "203.0.113.0/24"),
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7/32", "203.0.113.7"),
        ("203.0.113.0/24, 198.51.100.5", "203.0.113.0/24\n198.51.100.5"),
        ("203.0.113.0/24\r\n 2001:db8::/48 \n", "203.0.113.0/24\n2001:db8::/48"),
        ("2001:DB8::1", "2001:db8::1"),
        ("10.0.0.0/8\n10.0.0.0/8", "10.0.0.0/8"),
        ("# office\n192.0.2.0/28", "192.0.2.0/28"),
        ("0.0.0.0/0", "0.0.0.0/0"),
    ],
)
def test_networks_are_read_and_stored_one_a_line(text, stored):
    assert rules.normalise_networks(text) == stored


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("example.com", "Line 1: 'example.com' is not an IP address or network."),
        ("10.0.0.0/8\n300.1.1.1", "Line 2: '300.1.1.1' is not an IP address"),
        ("10.0.0.0/8\n\n10.0.0.0/33", "Line 3: '10.0.0.0/33'"),
        ("10.0.0.0/8, 1.2.3", "Line 1: '1.2.3'"),
        ("192.0.2.1/24", "Line 1: '192.0.2.1/24' has host bits set; write the network (e.g. 192.0.2.0/24)."),
        ("2001:db8::1/32", "e.g. 2001:db8::/32"),
    ],
)
def test_a_wrong_network_is_refused_naming_its_line(text, says):
    with pytest.raises(rules.NetworksRefused) as refused:
        rules.parse_networks(text)
    assert says in str(refused.value.text)


def test_too_many_networks_are_refused():
    with pytest.raises(rules.NetworksRefused, match="At most 50 networks"):
        rules.parse_networks("\n".join(f"10.0.{i}.0/24" for i in range(51)))


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        ("", "198.51.100.9", True),
        ("", "not an address", True),
        ("203.0.113.0/24", "203.0.113.200", True),
        ("203.0.113.0/24", "203.0.114.1", False),
        ("203.0.113.7", "203.0.113.7", True),
        ("203.0.113.7", "203.0.113.8", False),
        ("203.0.113.0/24", "::ffff:203.0.113.5", True),
        ("2001:db8::/48", "2001:db8:0:1::5", True),
        ("2001:db8::/48", "2001:db9::5", False),
        ("2001:db8::/48", "203.0.113.5", False),
        ("fe80::/10", "fe80::1%eth0", True),
        ("203.0.113.0/24", "", False),
        ("203.0.113.0/24", "garbage", False),
        ("10.0.0.0/8\n203.0.113.0/24", "203.0.113.1", True),
    ],
)
def test_address_allowed(networks, address, allowed):
    assert rules.address_allowed(rules.parse_networks(networks), address) is allowed


@pytest.mark.parametrize(
    ("system_id", "problem"),
    [
        ("ana", None),
        ("Ana_SRL-2.test", None),
        ("a" * 15, None),
        ("", "A system_id is required."),
        ("a" * 16, "At most 15 characters."),
        ("ana srl", "Only letters"),
        ("anaș", "Only letters"),
        ("ana@x", "Only letters"),
    ],
)
def test_system_id_rules(system_id, problem):
    found = rules.system_id_problem(system_id)
    assert (found is None) if problem is None else (found is not None and found.startswith(problem))


@pytest.mark.parametrize(
    ("name", "suggested"),
    [
        ("Ana", "ana"),
        ("Fabrica de Pâine Ștefănești S.R.L.", "fabrica_de_pain"),
        ("  --Şcoala 5--  ", "scoala_5"),
        ("客户", "smpp"),
        ("", "smpp"),
    ],
)
def test_a_system_id_is_suggested_from_the_name(name, suggested):
    made = rules.suggest_system_id(name)
    assert made == suggested and rules.system_id_problem(made) is None


@pytest.mark.parametrize(("base", "n", "made"), [("ana", 2, "ana2"), ("a" * 15, 12, "a" * 13 + "12")])
def test_a_taken_system_id_is_numbered_within_15(base, n, made):
    assert rules.numbered(base, n) == made


def test_passwords_are_8_unambiguous_random_characters():
    made = {rules.new_password() for _ in range(200)}
    assert len(made) == 200
    for password in made:
        assert len(password) == 8 and set(password) <= set(rules.PASSWORD_ALPHABET)
    assert not set("0O1lI5S2Z8B") & set(rules.PASSWORD_ALPHABET)


@pytest.mark.parametrize(
    ("limits", "wrong"),
    [
        (rules.Limits(1, 1, 1), set()),
        (rules.Limits(10, 1000, 1000), set()),
        (rules.DEFAULT_LIMITS, set()),
        (rules.Limits(0, 50, 100), {"max_binds"}),
        (rules.Limits(11, 50, 100), {"max_binds"}),
        (rules.Limits(2, 0, 100), {"tps_limit"}),
        (rules.Limits(2, 1001, 100), {"tps_limit"}),
        (rules.Limits(2, 50, 0), {"window"}),
        (rules.Limits(2, 50, 1001), {"window"}),
        (rules.Limits(-1, 5000, 0), {"max_binds", "tps_limit", "window"}),
    ],
)
def test_limits_within_their_ranges(limits, wrong):
    problems = rules.limit_problems(limits)
    assert set(problems) == wrong
    if "tps_limit" in problems:
        assert str(problems["tps_limit"]) == "Messages per second: between 1 and 1,000."


def test_defaults_are_the_models():
    assert rules.DEFAULT_LIMITS == rules.Limits(2, 50, 100)


def test_every_refusal_has_an_smpp_status():
    assert rules.REFUSAL_STATUS[rules.UNKNOWN_SYSTEM_ID] == 0x0F
    assert rules.REFUSAL_STATUS[rules.WRONG_PASSWORD] == 0x0E
    assert {rules.REFUSAL_STATUS[r] for r in (rules.SWITCHED_OFF, rules.ADDRESS_NOT_ALLOWED)} == {0x0D}
    assert isinstance(rules.parse_networks("10.0.0.0/8")[0], ipaddress.IPv4Network)
