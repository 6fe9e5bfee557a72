//go:build tools

// Package tools pins the Pulumi CLI that scripts/build-engine.sh builds, so
// that `go mod tidy` keeps it in go.mod/go.sum. (The kubernetes provider is the
// separate module in ./kubernetes; see go.mod and docs/engine.md.)
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/version"
)
