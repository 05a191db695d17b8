// Command webserver is a function that is an HTTP server, in the shape of otsu81's Deno and Bun
// handlers for the Lambda Web Adapter (Deno.serve / Bun.serve on port 8080): GET answers "OK"
// (the adapter's readiness check), any other method parses the JSON body and answers JSON (after sleep_ms, if it has one). It
// listens on PORT (8080 when unset) after SERVER_DELAY, as a framework that loads before it
// listens; it never talks to the Runtime API.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	if d, err := time.ParseDuration(os.Getenv("SERVER_DELAY")); err == nil {
		time.Sleep(d)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			fmt.Fprint(w, "OK")
			return
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ms, ok := body["sleep_ms"].(float64); ok { // work that takes a while
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "body": body})
	})
	fmt.Println("Listening on http://0.0.0.0:" + port + "/")
	if err := http.ListenAndServe("0.0.0.0:"+port, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
