"""Unit tests of the study builder's leak rule and dev/test split (stdlib only):

    python3 -m unittest datasets/test_study.py
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from sigdata import study  # noqa: E402


class LeakRule(unittest.TestCase):
    # The same cases as Swift's CaptionLeaksTests: the two implementations share one rule.
    CASES = [
        ("fox", "a picture of a fox.", True),
        ("fox", "two foxes, running", True),
        ("fox", "Fox, face", True),
        ("apple", "a slice of pineapple", False),
        ("red apple", "a red apple on a table", True),
        ("red apple", "red apples", True),
        ("red apple", "red, green apple", False),
        ("man dancing", "a woman dancing", False),
        ("t-rex", "a t rex roaring", True),
        ("bus", "a busy street", False),
    ]

    def test_cases(self):
        for name, caption, leaks in self.CASES:
            with self.subTest(name=name, caption=caption):
                self.assertEqual(bool(study.PhraseIndex([name]).find(caption)), leaks)

    def test_planted_leak_is_found(self):
        clean = ["an emoji of a cat", "a drawing of a house", "hedgehog, animal"]
        self.assertEqual(study.verify_no_leaks(clean, ["fox", "unicorn"]), [])
        self.assertEqual(study.verify_no_leaks(clean + ["a unicorn face"], ["fox", "unicorn"]),
                         [("unicorn", "a unicorn face")])


class Split(unittest.TestCase):
    def test_halves_are_deterministic_and_both_used(self):
        labels = [f"class {i}" for i in range(200)]
        first = [study.half(0, l) for l in labels]
        self.assertEqual(first, [study.half(0, l) for l in labels])
        self.assertTrue(60 <= first.count("dev") <= 140, first.count("dev"))
        self.assertNotEqual(first, [study.half(1, l) for l in labels])

    def test_pairs_fraction(self):
        held = sum(study.held_out_pair(0, f"uid/{i}", 0.05) for i in range(4000))
        self.assertTrue(150 <= held <= 250, held)


if __name__ == "__main__":
    unittest.main()
