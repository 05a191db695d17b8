// Command bootstrap is coldbench's Go reference handler: the shape of a typical Go Lambda function,
// built with aws-lambda-go, doing the unified reference workload. _HANDLER picks the function:
// "work" (the default) runs the workload, "hello" returns at once to isolate the runtime's own init.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

// Iterations of the checksum loop: about 100 ms on one vCPU. Every reference handler uses the
// same number and must produce the same checksum (handlers/README.md).
const Iterations = 50_000_000

// Checksum is the unified CPU workload: an FNV-1a-style 32-bit mix over a counter, chosen because
// every language computes it bit-for-bit alike (JavaScript through Math.imul and >>> 0).
func Checksum(n uint32) uint32 {
	h := uint32(2166136261)
	for i := uint32(0); i < n; i++ {
		h ^= i
		h *= 16777619
		h ^= h >> 15
	}
	return h
}

// Result is what the work handler returns.
type Result struct {
	Runtime    string `json:"runtime"`
	Iterations uint32 `json:"iterations"`
	Checksum   string `json:"checksum"`
	Outbound   int    `json:"outbound_status"`
}

// client is created once, at init, as a real handler's SDK clients are.
var client = &http.Client{Timeout: 5 * time.Second}

func work(ctx context.Context) (Result, error) {
	res := Result{Runtime: "go", Iterations: Iterations, Checksum: fmt.Sprintf("%08x", Checksum(Iterations))}
	if url := os.Getenv("COLDBENCH_OUTBOUND_URL"); url != "" {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return res, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return res, fmt.Errorf("outbound call: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		res.Outbound = resp.StatusCode
	}
	return res, nil
}

func hello(ctx context.Context) (map[string]string, error) {
	return map[string]string{"runtime": "go", "hello": "world"}, nil
}

func main() {
	if os.Getenv("_HANDLER") == "hello" {
		lambda.Start(hello)
		return
	}
	lambda.Start(work)
}
