//go:build tools

// The Node.js and Python language hosts (`pulumi-language-nodejs`, `pulumi-language-python`). Their
// own modules, github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 and
// .../sdk/python/cmd/pulumi-language-python/v3, are not served by the Go module proxy at any
// version; v3.68.0 is the newest github.com/pulumi/pulumi/sdk/v3 whose module still contains the
// hosts (later releases moved them out). See docs/engine.md.
package langhost

import (
	_ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
	_ "github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
)
