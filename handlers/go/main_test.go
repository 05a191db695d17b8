package main

import "testing"

// Shared test vectors: handlers/rust and handlers/deno check the same values.
func TestChecksumVectors(t *testing.T) {
	for _, tt := range []struct {
		n    uint32
		want uint32
	}{{0, 0x811c9dc5}, {1, 0x050c5707}, {1000, 0xa88c00f1}, {Iterations, 0x3998a4be}} {
		if got := Checksum(tt.n); got != tt.want {
			t.Errorf("Checksum(%d) = %08x, want %08x", tt.n, got, tt.want)
		}
	}
}
