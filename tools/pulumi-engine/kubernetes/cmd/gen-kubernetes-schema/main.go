// Command gen-kubernetes-schema writes the two files that
// cmd/pulumi-resource-kubernetes embeds. It does what upstream's
// cmd/pulumi-resource-kubernetes/generate.go does at release time: stamp the
// provider version into schema.json and compact terraform-mapping.json.
//
//	go run ./cmd/gen-kubernetes-schema -src <module dir>/cmd/pulumi-resource-kubernetes \
//	    -out ./cmd/pulumi-resource-kubernetes -version 4.25.0-alpha.1768448096+f47bc2d6f199
package main

import (
	"encoding/json"
	"flag"
	"log"
	"os"
	"path/filepath"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

func main() {
	src := flag.String("src", "", "directory holding upstream schema.json and terraform-mapping.json")
	out := flag.String("out", ".", "directory to write schema-embed.json and terraform-mapping-embed.json to")
	version := flag.String("version", "", "provider version to stamp into the schema")
	flag.Parse()
	if *src == "" || *version == "" {
		log.Fatal("gen-kubernetes-schema: -src and -version are required")
	}

	schemaContents, err := os.ReadFile(filepath.Join(*src, "schema.json"))
	if err != nil {
		log.Fatal(err)
	}
	var packageSpec schema.PackageSpec
	if err := json.Unmarshal(schemaContents, &packageSpec); err != nil {
		log.Fatalf("cannot deserialize schema: %v", err)
	}
	packageSpec.Version = *version
	versionedContents, err := json.Marshal(packageSpec)
	if err != nil {
		log.Fatalf("cannot reserialize schema: %v", err)
	}
	writeFile(filepath.Join(*out, "schema-embed.json"), versionedContents)

	terraformContents, err := os.ReadFile(filepath.Join(*src, "terraform-mapping.json"))
	if err != nil {
		log.Fatal(err)
	}
	var mapping interface{}
	if err := json.Unmarshal(terraformContents, &mapping); err != nil {
		log.Fatalf("cannot deserialize terraform mapping: %v", err)
	}
	embeddedMapping, err := json.Marshal(mapping)
	if err != nil {
		log.Fatalf("cannot reserialize terraform mapping: %v", err)
	}
	writeFile(filepath.Join(*out, "terraform-mapping-embed.json"), embeddedMapping)
}

// writeFile writes atomically so an interrupted run never leaves a truncated
// file for go:embed to pick up.
func writeFile(path string, data []byte) {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		log.Fatal(err)
	}
}
