//go:build tools

// The YAML language host (`pulumi-language-yaml`) of github.com/pulumi/pulumi-yaml, pinned by this
// module's go.mod and go.sum (see the comment there and docs/engine.md).
package yaml

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
