// Command composeconfig loads compose files the way `docker compose config` does, with the
// Compose Specification's own Go loader (github.com/compose-spec/compose-go/v2, the library the
// docker compose plugin is built on): YAML anchors and merges, ${VAR:-default} interpolation,
// validation against the compose-spec JSON schema, normalisation and the consistency checks
// (depends_on naming a service that does not exist, undeclared volumes or networks, ...). It
// prints the resolved project as JSON, like `docker compose config --format json`.
//
// This machine has no compose plugin; deploy/bootstrap.sh builds this into .local/bin and
// tests/unit/test_deploy_manifests.py runs it on deploy/compose.yaml.
//
//	composeconfig [-env KEY=VALUE ...] compose.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var env envFlags
	flag.Var(&env, "env", "KEY=VALUE for interpolation (repeatable); the process environment is not read")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: composeconfig [-env KEY=VALUE ...] compose.yaml ...")
		os.Exit(2)
	}
	// Only the given variables: a developer's shell must not change what CI checks.
	opts, err := cli.NewProjectOptions(flag.Args(),
		cli.WithEnv(env),
		cli.WithConsistency(true),
		cli.WithNormalization(true),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}


func fail(err error) {
	fmt.Fprintln(os.Stderr, "invalid compose file:", err)
	os.Exit(1)
}
