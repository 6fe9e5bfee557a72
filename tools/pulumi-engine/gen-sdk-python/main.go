// gen-sdk-python writes the Python SDK of a Pulumi package schema, as `pulumi package gen-sdk
// --language python` does with a current Python language host: bind and validate the schema, then
// github.com/pulumi/pulumi/pkg/v3/codegen/python.GeneratePackage, the code that host runs for the
// engine's GeneratePackage request. This repository's Python host (sdk/v3 v3.68.0) predates that
// request and answers it with "not implemented" (docs/engine.md), so scripts/build-engine.sh builds
// this instead, from the CLI's own pkg/v3.
//
//	gen-sdk-python <schema.json> <out-dir>   writes <out-dir>/python/..., replacing what was there
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noPackages is the loader of a schema that refers to no other package: asked for one, it fails.
type noPackages struct{}

var errNoPackages = errors.New("the schema refers to another package; gen-sdk-python generates self-contained ones only")

func (noPackages) LoadPackage(string, *semver.Version) (*schema.Package, error) {
	return nil, errNoPackages
}
func (noPackages) LoadPackageV2(context.Context, *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, errNoPackages
}

func (noPackages) LoadPackageReference(string, *semver.Version) (schema.PackageReference, error) {
	return nil, errNoPackages
}

func (noPackages) LoadPackageReferenceV2(context.Context, *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, errNoPackages
}

func generate(schemaFile, outDir string) error {
	raw, err := os.ReadFile(schemaFile)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaFile, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noPackages{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s is not a valid package schema: %w", schemaFile, diags)
	}
	files, err := python.GeneratePackage("pulumi-language-python", pkg, nil, noPackages{})
	if err != nil {
		return err
	}
	dir := filepath.Join(outDir, "python")
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-sdk-python <schema.json> <out-dir>")
		os.Exit(2)
	}
	if err := generate(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintf(os.Stderr, "gen-sdk-python: error: %v\n", err)
		os.Exit(1)
	}
}
