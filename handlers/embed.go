// Package handlers carries the reference handlers' sources in the coldbench binary, so that a
// coldbench installed with `go install` measures the references without a checkout of this
// repository. The Go reference is a package of coldbench's own module (its dependencies are
// coldbench's); coldbench writes it a go.mod when it builds it.
package handlers

import "embed"

// Sources are the files each reference is built from, by runtime directory. Build output
// (rust/target) and the handlers' tests are not part of them.
//
//go:embed go/main.go go/go.sum rust/Cargo.toml rust/Cargo.lock rust/src/main.rs deno/deno.json deno/main.ts deno/workload.ts
//go:embed node/package.json node/index.mjs node/workload.mjs python/lambda_function.py python/workload.py python/requirements.txt
//go:embed bun/bunfig.toml bun/index.ts bun/workload.ts
var Sources embed.FS
