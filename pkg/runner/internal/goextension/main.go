// Command goextension is an external Lambda extension in the shape of aws-samples'
// go-example-extension: it registers under its file name for INVOKE and SHUTDOWN, then long-polls
// /extension/event/next until SHUTDOWN. EXT_MODE (read from EXT_MODE_<its name>, so two copies of
// it in one layer behave apart) makes it slow or misbehave, as the runner must survive.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

var (
	name = filepath.Base(os.Args[0]) // the extension name has to match the file name
	base = "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2020-01-01/extension"
	mode = os.Getenv("EXT_MODE_" + strings.ReplaceAll(name, "-", "_"))
)

func main() {
	switch mode {
	case "crash":
		fmt.Fprintln(os.Stderr, "["+name+"] missing configuration")
		os.Exit(2)
	case "slow":
		time.Sleep(150 * time.Millisecond) // an agent loading its configuration before it registers
	}
	body, _ := json.Marshal(map[string]any{"events": []string{"INVOKE", "SHUTDOWN"}})
	req, _ := http.NewRequest("POST", base+"/register", bytes.NewReader(body))
	req.Header.Set("Lambda-Extension-Name", name)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		fmt.Fprintln(os.Stderr, "["+name+"] register failed:", err, resp)
		os.Exit(1)
	}
	id := resp.Header.Get("Lambda-Extension-Identifier")
	resp.Body.Close()
	switch mode {
	case "init-error":
		req, _ := http.NewRequest("POST", base+"/init/error", strings.NewReader(`{"errorMessage":"no API key","errorType":"Extension.ConfigInvalid"}`))
		req.Header.Set("Lambda-Extension-Identifier", id)
		req.Header.Set("Lambda-Extension-Function-Error-Type", "Extension.ConfigInvalid")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
		os.Exit(1)
	case "never-next":
		time.Sleep(time.Hour) // registered, then stuck: init waits for it
	case "slow-ready":
		time.Sleep(120 * time.Millisecond) // registered, then connects to its backend before its first next
	case "subscribe":
		sub := `{"schemaVersion":"2022-07-01","destination":{"protocol":"HTTP","URI":"http://sandbox.localdomain:4243"},"types":["platform","function"]}`
		req, _ := http.NewRequest("PUT", strings.TrimSuffix(base, "/2020-01-01/extension")+"/2022-07-01/telemetry", strings.NewReader(sub))
		req.Header.Set("Lambda-Extension-Identifier", id)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}
	for {
		req, _ := http.NewRequest("GET", base+"/event/next", nil)
		req.Header.Set("Lambda-Extension-Identifier", id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return
		}
		var ev struct {
			EventType string `json:"eventType"`
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		_ = json.Unmarshal(b, &ev)
		fmt.Println("["+name+"] received", ev.EventType)
		if mode == "crash-on-invoke" && ev.EventType == "INVOKE" {
			fmt.Fprintln(os.Stderr, "["+name+"] lost its backend")
			os.Exit(3)
		}
		if ev.EventType == "SHUTDOWN" || resp.StatusCode != 200 {
			return
		}
	}
}
