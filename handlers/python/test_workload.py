"""Shared test vectors: handlers/go, handlers/rust, handlers/deno and handlers/node check the same values."""

import unittest

from workload import checksum


class ChecksumVectors(unittest.TestCase):
    def test_vectors(self):
        self.assertEqual(checksum(0), 0x811C9DC5)
        self.assertEqual(checksum(1), 0x050C5707)
        self.assertEqual(checksum(1000), 0xA88C00F1)


if __name__ == "__main__":
    unittest.main()
