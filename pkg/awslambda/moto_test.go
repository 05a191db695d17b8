package awslambda

import (
	ziplib "archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/coldbench/coldbench/pkg/build"
	"github.com/coldbench/coldbench/pkg/internal/testenv"
	"github.com/coldbench/coldbench/pkg/sampling"
)

// moto's server (scripts/setup.sh installs it into the tools dir): an AWS fake nobody here
// wrote, with Lambda's control plane and states, logs, S3, STS and IAM. One server for the
// package's tests, started on a free port by the first test that needs it and stopped by
// TestMain; each test names its functions and role with a prefix of its own.
var (
	motoURL  string
	motoErr  string
	motoOnce sync.Once
	motoStop = func() {}
)

func TestMain(m *testing.M) {
	code := m.Run()
	motoStop()
	os.Exit(code)
}

func startMoto() func() {
	bin := filepath.Join(build.DefaultToolsDir(os.Getenv), "moto", "bin", "moto_server")
	if _, err := os.Stat(bin); err != nil {
		motoErr = "moto_server is not installed (" + bin + "): run scripts/setup.sh"
		return func() {}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		motoErr = err.Error()
		return func() {}
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // gone with the test binary, even after a panic
	if err := cmd.Start(); err != nil {
		motoErr = err.Error()
		return func() {}
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		// Its Lambda runs no code (no Docker here): Invoke answers without a log tail.
		resp, err := http.Post(url+"/moto-api/config", "application/json", strings.NewReader(`{"lambda":{"use_docker":false}}`))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 2 {
				motoURL = url
				return stop
			}
		}
		if time.Now().After(deadline) {
			motoErr = "moto_server did not start: " + logs.String()
			return stop
		}
	}
}

var (
	accounts atomic.Int64
	prefixes sync.Map // test name → its functions' prefix
)

func prefix(t *testing.T) string { p, _ := prefixes.Load(t.Name()); return p.(string) }

// motoAccount is the clients of a test of its own (its functions and role named by a prefix of
// its own), with a role Lambda may assume.
func motoAccount(t *testing.T) (*Clients, string) {
	t.Helper()
	motoOnce.Do(func() { motoStop = startMoto() })
	if motoURL == "" {
		testenv.Missing(t, motoErr)
	}
	n := accounts.Add(1)
	prefixes.Store(t.Name(), fmt.Sprintf("cb%d-", n))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDMOTO")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	c, err := NewClients(context.Background(), "us-east-1", motoURL)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	im := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = aws.String(motoURL) })
	out, err := im.CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String(fmt.Sprintf("coldbench-%d", n)),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	return c, aws.ToString(out.Role.Arn)
}

func (c *Clients) functions(t *testing.T) []string {
	t.Helper()
	out, err := c.Lambda.ListFunctions(context.Background(), &lambda.ListFunctionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range out.Functions {
		if n := aws.ToString(f.FunctionName); strings.HasPrefix(n, prefix(t)) {
			names = append(names, n)
		}
	}
	return names
}

func (c *Clients) logGroups(t *testing.T) []string {
	t.Helper()
	out, err := c.Logs.DescribeLogGroups(context.Background(), &cloudwatchlogs.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/" + prefix(t))})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range out.LogGroups {
		names = append(names, aws.ToString(g.LogGroupName))
	}
	return names
}

func motoRunner(t *testing.T, c *Clients, role string, copies int) *Runner {
	t.Helper()
	r, err := New(Config{Client: c.Lambda, Logs: c.Logs, S3: c.S3, Region: c.Region, RoleARN: role, MemoryMB: 512, Arch: "arm64",
		Copies: copies, Prefix: prefix(t), WaitMin: 10 * time.Millisecond, WaitMax: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The request loop against moto: create (with the ephemeral storage), wait for Active, update per
// sample with COLDBENCH_SAMPLE, wait, invoke with the log tail; Close deletes every function and
// the log group Lambda's logging made for it.
func TestMotoControlPlane(t *testing.T) {
	c, role := motoAccount(t)
	if _, err := c.Check(context.Background(), role, ""); err != nil {
		t.Fatalf("Check(good role) = %v", err)
	}
	r := motoRunner(t, c, role, 2)
	r.cfg.EphemeralMB = 2048
	art := shellZip(t)
	variants := []sampling.Variant{{Name: "head", Artifact: art}, {Name: "base", Artifact: art}}
	ctx := context.Background()
	if err := r.Deploy(ctx, variants); err != nil {
		t.Fatal(err)
	}
	names := c.functions(t)
	if len(names) != 4 {
		t.Fatalf("functions %v, want 2 copies of 2 variants", names)
	}
	got, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(names[0])})
	if err != nil {
		t.Fatal(err)
	}
	if cf := got.Configuration; cf.EphemeralStorage == nil || aws.ToInt32(cf.EphemeralStorage.Size) != 2048 || string(cf.State) != "Active" || cf.Architectures[0] != "arm64" {
		t.Errorf("configuration %+v", cf)
	}
	samples := r.SampleWave(ctx, []sampling.Variant{variants[0], variants[1], variants[0], variants[1]})
	for _, s := range samples {
		// moto runs no code: its Invoke has no log tail, which is a failed sample, never a warm one.
		if s.Error == nil || !strings.Contains(s.Error.Reason, "no REPORT line") {
			t.Errorf("sample %+v", s)
		}
	}
	got, err = c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(names[0])})
	if err != nil {
		t.Fatal(err)
	}
	if v := got.Configuration.Environment.Variables["COLDBENCH_SAMPLE"]; v == "" || v == "0" {
		t.Errorf("COLDBENCH_SAMPLE = %q after a sample, want a new value", v)
	}
	for _, n := range names { // as Lambda's logging does on the first invoke
		if _, err := c.Logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/aws/lambda/" + n)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if left, groups := c.functions(t), c.logGroups(t); len(left) != 0 || len(groups) != 0 {
		t.Errorf("left functions %v, log groups %v", left, groups)
	}
}

// Check names every problem before anything is built: a role of another account, a bucket that
// is not there; and fails on credentials STS refuses.
func TestMotoCheck(t *testing.T) {
	c, _ := motoAccount(t)
	_, err := c.Check(context.Background(), "arn:aws:iam::999999999999:role/other", "no-such-bucket")
	for _, want := range []string{"account 999999999999", "--aws-s3-bucket \"no-such-bucket\""} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v, want %q", err, want)
		}
	}
	_, err = c.Check(context.Background(), "my-role", "")
	if err == nil || !strings.Contains(err.Error(), `--aws-role-arn "my-role"`) {
		t.Errorf("Check(my-role) = %v", err)
	}
}

// Cancelled at any point (waiting for Active, during an update, during an invoke), a run leaves
// nothing: Close deletes what CreateFunction was sent for.
func TestMotoCancelLeavesNothing(t *testing.T) {
	for _, at := range []string{"GET /2015-03-31/functions/", "PUT /2015-03-31/functions/", "POST /2015-03-31/functions/", "invocations"} {
		t.Run(strings.Fields(at)[0], func(t *testing.T) {
			c, role := motoAccount(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var once sync.Once
			// The cancel comes as the request is sent, as a SIGINT would.
			c.Lambda = lambda.New(c.Lambda.Options(), func(o *lambda.Options) {
				o.HTTPClient = cancelOn{at: at, cancel: func() { once.Do(cancel) }}
			})
			r := motoRunner(t, c, role, 2)
			art := shellZip(t)
			variants := []sampling.Variant{{Name: "head", Artifact: art}, {Name: "base", Artifact: art}}
			_ = r.Deploy(ctx, variants)
			_, _ = sampling.NewScheduler(r, 1).Run(ctx, variants, 4)
			if err := r.Close(ctx); err != nil {
				t.Error(err)
			}
			if left := c.functions(t); len(left) != 0 {
				t.Errorf("cancelled at %q: functions left %v", at, left)
			}
		})
	}
}

// cancelOn cancels when a request whose "METHOD PATH" contains at is sent.
type cancelOn struct {
	at     string
	cancel func()
}

func (c cancelOn) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Method+" "+req.URL.Path, c.at) {
		c.cancel()
	}
	return http.DefaultClient.Do(req)
}

// A zip over the direct-upload limit goes through S3: PutObject, CreateFunction with S3Bucket
// and S3Key (moto reads the object), and the object deleted at Close.
func TestMotoS3Upload(t *testing.T) {
	c, role := motoAccount(t)
	ctx := context.Background()
	bucket := "coldbench-" + strings.ToLower(randomHex(4))
	if _, err := c.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Check(ctx, role, bucket); err != nil {
		t.Fatal(err)
	}
	r := motoRunner(t, c, role, 1)
	r.cfg.Bucket = bucket
	// A real 53 MB zip, as large as Bun's (stored, not deflated: the size is what counts).
	zip := filepath.Join(t.TempDir(), "big.zip")
	f, err := os.Create(zip)
	if err != nil {
		t.Fatal(err)
	}
	zw := ziplib.NewWriter(f)
	for name, size := range map[string]int{"bootstrap": 10, "data.bin": 53 << 20} {
		w, err := zw.CreateHeader(&ziplib.FileHeader{Name: name, Method: ziplib.Store})
		if err != nil {
			t.Fatal(err)
		}
		blob := make([]byte, size)
		_, _ = rand.Read(blob)
		if _, err := w.Write(blob); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if st, _ := os.Stat(zip); RequestBytes(st.Size()) <= DirectUploadLimit {
		t.Fatalf("zip of %d bytes is under the limit", st.Size())
	}
	if err := r.Deploy(ctx, []sampling.Variant{{Name: "bun", Artifact: zip}}); err != nil {
		t.Fatal(err)
	}
	copies := r.fns["bun"]
	if len(copies) != 1 || copies[0].err != nil {
		t.Fatalf("deploy: %+v", copies)
	}
	objs, err := c.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(objs.Contents) != 1 {
		t.Fatalf("objects %+v, %v; want the zip", objs, err)
	}
	if env := r.Describe([]sampling.Variant{{Name: "bun", Artifact: zip}}); env.S3Bucket != bucket {
		t.Errorf("Describe = %+v", env)
	}
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	objs, err = c.S3.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(objs.Contents) != 0 || len(c.functions(t)) != 0 {
		t.Errorf("left objects %+v (%v), functions %v", objs.Contents, err, c.functions(t))
	}
}
