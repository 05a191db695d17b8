package awslambda

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// Clients are the AWS API clients a run on Lambda uses, all with coldbench's own credentials
// (environment, profile, or the job's OIDC role): they sign API calls and are never passed to
// builds or handlers. Every client retries in the SDK's adaptive mode, which slows the requests
// down (a client-side token bucket) once Lambda answers TooManyRequestsException.
type Clients struct {
	Region string
	Lambda *lambda.Client
	Logs   *cloudwatchlogs.Client
	S3     *s3.Client
	STS    *sts.Client
}

// NewClients loads the AWS configuration. endpoint, when set, replaces every service's (a test
// server, a local emulator); S3 is then addressed by path.
func NewClients(ctx context.Context, region, endpoint string) (*Clients, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryer(func() aws.Retryer {
			return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
				o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = 8 })
			})
		}),
	}
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, errors.New("no region: set --aws-region or AWS_REGION")
	}
	var base *string
	if endpoint != "" {
		base = aws.String(endpoint)
	}
	return &Clients{
		Region: awsCfg.Region,
		Lambda: lambda.NewFromConfig(awsCfg, func(o *lambda.Options) { o.BaseEndpoint = base }),
		Logs:   cloudwatchlogs.NewFromConfig(awsCfg, func(o *cloudwatchlogs.Options) { o.BaseEndpoint = base }),
		S3: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.BaseEndpoint, o.UsePathStyle = base, endpoint != ""
		}),
		STS: sts.NewFromConfig(awsCfg, func(o *sts.Options) { o.BaseEndpoint = base }),
	}, nil
}

// NewClient is a Lambda client (NewClients' Lambda).
func NewClient(ctx context.Context, region, endpoint string) (*lambda.Client, error) {
	c, err := NewClients(ctx, region, endpoint)
	if err != nil {
		return nil, err
	}
	return c.Lambda, nil
}

// Identity is who the credentials are.
type Identity struct{ Account, ARN string }

// Check makes sure, before anything is built, that a run can deploy: the credentials work
// (sts GetCallerIdentity), the role is an IAM role ARN of the same account (Lambda takes no
// other), and the bucket, when given, is reachable. Every problem is named at once.
func (c *Clients) Check(ctx context.Context, roleARN, bucket string) (Identity, error) {
	var problems []string
	var id Identity
	out, err := c.STS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		problems = append(problems, fmt.Sprintf("credentials: sts GetCallerIdentity in %s failed (%v): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the job's OIDC role (aws-actions/configure-aws-credentials)", c.Region, shortErr(err)))
	} else {
		id = Identity{Account: aws.ToString(out.Account), ARN: aws.ToString(out.Arn)}
	}
	// arn:aws:iam::123456789012:role/NAME (a path may come before NAME)
	parts := strings.SplitN(roleARN, ":", 6)
	switch {
	case len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") || len(parts[4]) != 12:
		problems = append(problems, fmt.Sprintf("--aws-role-arn %q: want an IAM role's ARN, arn:aws:iam::ACCOUNT:role/NAME", roleARN))
	case id.Account != "" && parts[4] != id.Account:
		problems = append(problems, fmt.Sprintf("--aws-role-arn %q: the role is in account %s, the credentials in %s; Lambda takes an execution role of the function's own account", roleARN, parts[4], id.Account))
	}
	if bucket != "" {
		if _, err := c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); err != nil {
			problems = append(problems, fmt.Sprintf("--aws-s3-bucket %q: HeadBucket failed (%v): give a bucket in %s these credentials may write to", bucket, shortErr(err), c.Region))
		}
	}
	if len(problems) > 0 {
		return id, errors.New("mode aws: " + strings.Join(problems, "; "))
	}
	return id, nil
}

func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ", "); i > 0 && len(s) > 200 {
		s = s[i+2:]
	}
	return s
}

func (r *Runner) putObject(ctx context.Context, key string, zip []byte) error {
	cctx, cancel := uncancelled(ctx)
	defer cancel()
	r.mu.Lock()
	r.usage.apiCalls++
	r.mu.Unlock()
	_, err := r.cfg.S3.PutObject(cctx, &s3.PutObjectInput{Bucket: aws.String(r.cfg.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(zip), ContentLength: aws.Int64(int64(len(zip)))})
	return err
}

func (r *Runner) deleteObject(ctx context.Context, key string) error {
	_, err := r.cfg.S3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(r.cfg.Bucket), Key: aws.String(key)})
	return err // S3 answers 204 for a key that is not there
}
