package config

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
)

//go:embed events/*.json
var eventFiles embed.FS

// EventPresets are the ready-made events, by name: API Gateway REST (v1) and HTTP (v2) proxy
// requests, an ALB request, an SQS batch, an S3 notification and an EventBridge event.
var EventPresets = []string{"alb", "apigw-v1", "apigw-v2", "eventbridge", "s3", "sqs"}

// EventJSON is the event the handler is invoked with: a preset, inline JSON, or a file's content.
func (c *Config) EventJSON() ([]byte, error) {
	ev := strings.TrimSpace(c.Event)
	switch {
	case ev == "":
		return []byte("{}"), nil
	case slices.Contains(EventPresets, ev):
		return eventFiles.ReadFile("events/" + ev + ".json")
	case strings.HasPrefix(ev, "{") || strings.HasPrefix(ev, "["):
		if !json.Valid([]byte(ev)) {
			return nil, errors.New("inline JSON that does not parse")
		}
		return []byte(ev), nil
	}
	b, err := os.ReadFile(ev)
	if err != nil {
		return nil, fmt.Errorf("%w; give a JSON file, inline JSON, or one of %s", errors.Unwrap(err), strings.Join(EventPresets, ", "))
	}
	if !json.Valid(b) {
		return nil, errors.New("not valid JSON")
	}
	return b, nil
}

// ParseEnv reads KEY=VALUE pairs, one a line or comma-separated, as an env flag, a
// coldbench.yml env mapping or the action's multi-line env input gives them.
func ParseEnv(s string) (map[string]string, error) {
	out := map[string]string{}
	var bad []string
	sep := "\n"
	if !strings.Contains(s, "\n") {
		sep = ","
	}
	for _, part := range strings.Split(s, sep) {
		part = strings.TrimSpace(part)
		if part == "" || strings.HasPrefix(part, "#") {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok || strings.TrimSpace(k) == "" {
			bad = append(bad, fmt.Sprintf("%q: want KEY=VALUE", part))
			continue
		}
		out[strings.TrimSpace(k)] = v
	}
	if len(bad) > 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	return out, nil
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func validEnvName(k string) bool { return envName.MatchString(k) }

// reservedEnv are Lambda's reserved variables: a function's configuration cannot set them.
var reservedEnv = map[string]bool{
	"_HANDLER": true, "AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
	"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
	"AWS_REGION": true, "AWS_DEFAULT_REGION": true, "AWS_EXECUTION_ENV": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_XRAY_DAEMON_ADDRESS": true, "_X_AMZN_TRACE_ID": true,
}

// SecretLooking lists the env values whose names suggest a secret, for masking in logs.
func (c *Config) SecretLooking() []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(c.Env)) {
		u := strings.ToUpper(k)
		if c.Env[k] != "" && (strings.Contains(u, "TOKEN") || strings.Contains(u, "SECRET") || strings.Contains(u, "PASSWORD") || strings.Contains(u, "KEY")) {
			out = append(out, c.Env[k])
		}
	}
	return out
}
