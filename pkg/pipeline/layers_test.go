package pipeline

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coldbench/coldbench/pkg/config"
	"github.com/coldbench/coldbench/pkg/results"
	"github.com/coldbench/coldbench/pkg/sampling"
)

func TestLayersAndWebDecided(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	layer := filepath.Join(dir, "agent")
	if err := os.MkdirAll(filepath.Join(layer, "extensions"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(layer, "extensions", "agent"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &Pipeline{}
	for _, tc := range []struct {
		web  string
		env  map[string]string
		want bool
		err  string
	}{
		{"", map[string]string{"AWS_LWA_READINESS_CHECK_PATH": "/health"}, true, ""},
		{"auto", map[string]string{"PORT": "8080"}, false, ""},
		{"on", nil, true, ""},
		{"off", map[string]string{"AWS_LWA_PORT": "1"}, false, ""},
		{"on", map[string]string{"AWS_LWA_PORT": "http"}, false, `AWS_LWA_PORT "http": not a port`},
	} {
		var sv sampling.Variant
		var v results.Variant
		pv := planned{name: "head", fn: config.Function{Layers: []string{layer}, Web: tc.web, Env: tc.env}}
		err := p.layers(&sv, &v, pv, t.TempDir(), "x86_64", &results.Results{})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("web %q env %v: error %v, want %q", tc.web, tc.env, err, tc.err)
			}
			continue
		}
		if err != nil || sv.Web != tc.want || v.Web != tc.want || len(sv.Layers) != 1 || v.Layers[0] != "agent" {
			t.Errorf("web %q env %v: web %v layers %q (%v), want web %v and the layer zipped", tc.web, tc.env, sv.Web, sv.Layers, err, tc.want)
		}
	}
	var sv sampling.Variant
	if err := p.layers(&sv, &results.Variant{}, planned{fn: config.Function{Layers: []string{filepath.Join(dir, "nope.tar")}}}, t.TempDir(), "x86_64", &results.Results{}); err == nil || !strings.Contains(err.Error(), "nope.tar") {
		t.Errorf("a missing layer: %v, want an error naming it", err)
	}
}
