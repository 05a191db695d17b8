package build

import (
	"archive/zip"
	"context"
	"fmt"
	"github.com/coldbench/coldbench/pkg/results"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// packageProvided takes a ready-made handler: a directory or zip holding an executable bootstrap
// (a script, or a binary built elsewhere), packaged as it is so any language Lambda accepts can be
// benchmarked.
func packageProvided(ctx context.Context, req Request, stage string) (*results.Artifact, error) {
	out := filepath.Join(req.OutDir, req.Name+".zip")
	art := &results.Artifact{Path: out, Method: "ready-made bootstrap, packaged as is"}
	if strings.HasSuffix(req.Dir, ".zip") {
		if err := checkZipBootstrap(req.Dir, stage); err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "check zip", Err: err}
		}
		if err := copyFile(req.Dir, out, 0o644); err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "copy zip", Err: err}
		}
		zr, err := zip.OpenReader(out)
		if err != nil {
			return nil, &Error{Runtime: RuntimeProvided, Step: "read zip", Err: err}
		}
		defer zr.Close()
		st, _ := os.Stat(out)
		art.ZipBytes = st.Size()
		for _, f := range zr.File {
			art.UnzippedBytes += int64(f.UncompressedSize64)
		}
		art.Notes = archNote(filepath.Join(stage, "bootstrap"), req.Arch)
		return art, nil
	}
	st, err := os.Stat(filepath.Join(req.Dir, "bootstrap"))
	switch {
	case err != nil:
		return nil, &Error{Runtime: RuntimeProvided, Step: "find bootstrap", Err: fmt.Errorf("%s has no bootstrap file: Lambda's provided runtimes run ./bootstrap", req.Dir)}
	case st.Mode()&0o111 == 0:
		return nil, &Error{Runtime: RuntimeProvided, Step: "find bootstrap", Err: fmt.Errorf("%s/bootstrap is not executable (chmod +x it)", req.Dir)}
	}
	if art.ZipBytes, art.UnzippedBytes, err = ZipDir(req.Dir, out); err != nil {
		return nil, &Error{Runtime: RuntimeProvided, Step: "package zip", Err: err}
	}
	art.Notes = archNote(filepath.Join(req.Dir, "bootstrap"), req.Arch)
	return art, nil
}

// checkZipBootstrap checks that the zip has an executable bootstrap at its root and copies it to
// stage for inspection.
func checkZipBootstrap(path, stage string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.Name != "bootstrap" {
			continue
		}
		if f.Mode()&0o111 == 0 {
			return fmt.Errorf("%s: bootstrap has no exec bit in the zip (zip it on Linux or macOS, or chmod +x before zipping)", path)
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		dst, err := os.Create(filepath.Join(stage, "bootstrap"))
		if err != nil {
			return err
		}
		defer dst.Close()
		_, err = io.Copy(dst, rc)
		return err
	}
	return fmt.Errorf("%s: no bootstrap at the root of the zip", path)
}

func archNote(bootstrap, want string) []string {
	switch got := ELFArch(bootstrap); got {
	case "":
		return []string{"bootstrap is a script: it runs on either architecture"}
	case want:
		return nil
	default:
		return []string{fmt.Sprintf("bootstrap is a %s binary, packaged as is for %s", got, want)}
	}
}
