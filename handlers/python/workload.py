"""The unified CPU workload (handlers/README.md): the same 32-bit FNV-1a-style mix as every reference.

CPython runs this loop about 125 times slower than the compiled and JIT runtimes, so the Python
reference runs 1/128 of their iterations: about the same 100 ms of CPU on one vCPU, which is the
seed's workload (100 ms of CPU, one outbound call), not the same count. Its checksum therefore differs
from theirs; the test vectors are the same."""

ITERATIONS = 50_000_000 // 128


def checksum(n: int) -> int:
    h = 2166136261
    for i in range(n):
        h ^= i
        h = (h * 16777619) & 0xFFFFFFFF
        h ^= h >> 15
    return h
