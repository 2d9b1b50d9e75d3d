import os


def test_checkout_answers():
    assert os.environ.get("TOCSIN_SUITE_FAILS") != "1", "checkout returned 502"


def test_arithmetic_still_works():
    assert 1 + 1 == 2
