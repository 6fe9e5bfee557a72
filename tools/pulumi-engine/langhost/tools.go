//go:build tools

// The Node.js language host (`pulumi-language-nodejs`). Its own module,
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, is not served by the Go module
// proxy at any version; v3.68.0 is the newest github.com/pulumi/pulumi/sdk/v3 whose module still
// contains the host (later releases moved it out). See docs/engine.md.
package langhost

import _ "github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
