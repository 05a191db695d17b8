package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestApplyFile(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyFile("coldbench.yml", []byte(`
handler: functions/api
samples: 80
memory: 1024MB
threshold: 7.5%
references: [go, rust-hello]
timeout: 45
outbound-delay: 20ms
no-evict: true
`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Handler != "functions/api" || c.Samples != 80 || c.MemoryMB != 1024 || c.Threshold != 7.5 ||
		strings.Join(c.References, ",") != "go,rust-hello" || c.Timeout != 45*time.Second || c.OutboundDelay != 20*time.Millisecond || !c.NoEvict {
		t.Errorf("ApplyFile() = %+v", c)
	}
	if err := c.ApplyFile("empty.yml", nil); err != nil {
		t.Errorf("ApplyFile(empty) = %v", err)
	}
}

func TestApplyFileReportsEveryProblem(t *testing.T) {
	t.Parallel()
	c := Default()
	err := c.ApplyFile("coldbench.yml", []byte("sample: 3\ntimeout: soon\nseed: -1\n"))
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 3 {
		t.Fatalf("ApplyFile() = %v, want 3 problems", err)
	}
	for i, want := range []string{`unknown key "sample"; valid keys are alpha, aws-endpoint, aws-region, aws-role-arn, base, baseline,`, `seed: "-1": invalid syntax`, `timeout: "soon": want a duration such as 30s`} {
		if !strings.Contains(ps[i], want) {
			t.Errorf("problem %d = %q, want %q", i, ps[i], want)
		}
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	c := Default()
	c.Samples, c.MemoryMB, c.Threshold, c.Alpha, c.Timeout, c.References = 1, 20000, 0, 0.7, 20*time.Minute, []string{"java"}
	c.Handler = "/does/not/exist"
	err := c.Validate(func(f string) string { return "--" + f })
	var ps Problems
	if !errors.As(err, &ps) || len(ps) != 7 {
		t.Fatalf("Validate() = %v, want 7 problems", err)
	}
	if c := Default(); c.Validate(func(f string) string { return f }) != nil {
		t.Errorf("the defaults do not validate: %v", c.Validate(func(f string) string { return f }))
	}
	if got := ParseReferences(" none "); got != nil {
		t.Errorf("ParseReferences(none) = %v", got)
	}
}
