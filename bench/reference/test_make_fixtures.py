"""Tests of make_fixtures.py's fixture layout; standard library only (no torch needed)."""

import math
import unittest

import make_fixtures as m


class FixtureLayoutTest(unittest.TestCase):

    def test_columns_span_the_whole_vocabulary(self):
        for vocab in (128256, 151669, 50):
            cols = m.columns(vocab)
            self.assertEqual(0, cols[0])
            self.assertEqual(vocab - 1, cols[-1])
            self.assertEqual(sorted(set(cols)), cols)
        self.assertEqual(257, len(m.columns(128256)))
        self.assertEqual(50, len(m.columns(50)))  # a vocabulary smaller than the column count: every column

    def test_token_ids_are_fixed_and_in_range(self):
        ids = m.token_ids(128256)
        self.assertEqual(m.SEQUENCE_LENGTH, len(ids))
        self.assertEqual(ids, m.token_ids(128256))
        self.assertTrue(all(0 <= i < 128256 for i in ids))
        self.assertGreater(len(set(ids)), 100)
        self.assertEqual(m.SEQUENCE_LENGTH - 1, m.POSITIONS[-1])

    def test_position_record(self):
        row = [0.1 * ((7 * i) % 13) - 0.3 for i in range(40)]
        record = m.position_record(5, row, [0, 20, 39], k=3)
        self.assertEqual(5, record["position"])
        self.assertEqual([m.round7(row[0]), m.round7(row[20]), m.round7(row[39])], record["values"])
        self.assertEqual(sorted(range(40), key=lambda i: (-row[i], i))[:3], record["top_ids"])
        self.assertEqual([m.round7(row[i]) for i in record["top_ids"]], record["top_logits"])
        self.assertAlmostEqual(math.log(sum(math.exp(v) for v in row)), record["logsumexp"], places=6)

    def test_logsumexp_of_large_logits_does_not_overflow(self):
        self.assertAlmostEqual(1000 + math.log(2), m.logsumexp([1000.0, 1000.0]), places=9)

    def test_rounding_keeps_seven_significant_digits(self):
        self.assertEqual(12.34568, m.round7(12.345678901))
        self.assertEqual(-0.0001234568, m.round7(-0.000123456789))

    def test_fixture_records_both_variants_at_every_position(self):
        rows = [[float(p + v % 3) for v in range(10)] for p in m.POSITIONS]
        f = m.fixture("llama", {"arch": "llama", "preset": "tiny", "seed": 1}, 10, [1, 2], rows, rows,
                      "aa", {"adapter_config.json": "bb"}, {"torch": "x"})
        self.assertEqual(list(m.POSITIONS), [r["position"] for r in f["base"]])
        self.assertEqual(list(m.POSITIONS), [r["position"] for r in f["adapter"]])
        self.assertEqual(list(range(10)), f["columns"])
        self.assertEqual({"dtype": "float32", "attn_implementation": "eager", "versions": {"torch": "x"}},
                         f["reference"])


if __name__ == "__main__":
    unittest.main()
