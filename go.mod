module github.com/coldbench/coldbench

go 1.26.8

require (
	github.com/aws/aws-lambda-go v1.55.1
	golang.org/x/sys v0.50.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/google/go-github/v60 v60.0.0
	github.com/moby/buildkit v0.34.2
	github.com/sethvargo/go-githubactions v1.4.0
	gonum.org/v1/gonum v0.17.0
)

require (
	github.com/containerd/typeurl/v2 v2.3.0 // indirect
	github.com/google/go-querystring v1.1.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/planetscale/vtprotobuf v0.6.1-0.20240319094008-0393e58bdf10 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
