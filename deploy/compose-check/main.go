// compose-check loads a Compose file with the loader Docker Compose v2 itself uses
// (github.com/compose-spec/compose-go/v2), so a file that `docker compose` would refuse
// fails here too, on a machine without Docker.
//
//	compose-check [-env NAME=VALUE]... FILE
//
// Only the -env values (and nothing from the caller's environment) are visible to the
// file's ${...} interpolation, so a test states exactly which variables a user sets.
// Prints the services it loaded, one a line; exits 1 with the loader's message otherwise.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
)

type envFlags []string

func (e *envFlags) String() string     { return strings.Join(*e, ",") }
func (e *envFlags) Set(v string) error { *e = append(*e, v); return nil }

func main() {
	var env envFlags
	flag.Var(&env, "env", "NAME=VALUE visible to the file's interpolation (repeatable)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: compose-check [-env NAME=VALUE]... FILE")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions(
		[]string{flag.Arg(0)},
		cli.WithEnv(env),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		fail(err)
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	names := project.ServiceNames()
	sort.Strings(names)
	for _, name := range names {
		fmt.Println(name)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "compose-check:", err)
	os.Exit(1)
}
