module github.com/coldbench/coldbench

go 1.26.8

require (
	github.com/aws/aws-lambda-go v1.55.1
	golang.org/x/sys v0.50.0
	gopkg.in/yaml.v3 v3.0.1
)

require gonum.org/v1/gonum v0.17.0

require (
	github.com/google/go-github/v60 v60.0.0 // indirect
	github.com/google/go-querystring v1.1.0 // indirect
	github.com/sethvargo/go-githubactions v1.4.0 // indirect
)
