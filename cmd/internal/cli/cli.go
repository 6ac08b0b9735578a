// Package cli is what every command does before its work: it answers -h
// with the command's usage, its flags and the settings it reads, and loads
// the settings, reporting every bad one before anything starts.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chatsvc/chat/bootstrap"
	"github.com/chatsvc/chat/cmd/internal/healthcheck"
)

// Parse parses the command line into the flags defined on flag.CommandLine.
// -h or --help prints usage (the command's synopsis, then what it does),
// the flags and the settings the command reads on stdout, and exits 0; a
// bad flag or an argument says so with the synopsis on stderr, and exits 2.
func Parse(name, usage string) {
	fs := flag.CommandLine
	fs.Init(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	err := fs.Parse(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		fmt.Println(usage)
		fmt.Println()
		if hasFlags(fs) {
			fmt.Println("Flags:")
			fs.SetOutput(os.Stdout)
			fs.PrintDefaults()
			fmt.Println()
		}
		_ = bootstrap.WriteSettings(os.Stdout, name)
		os.Exit(0)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err != nil {
		synopsis, _, _ := strings.Cut(usage, "\n")
		fmt.Fprintf(os.Stderr, "%s: %v\n%s (-h for help)\n", name, err, synopsis)
		os.Exit(2)
	}
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// Server is Parse then Config for the long-running processes (api,
// worker), which also take -healthcheck URL: a container's probe of its
// own process, made by the same binary, that exits with the probe's answer.
func Server(name, usage string) bootstrap.Config {
	probe := flag.String("healthcheck", "", "ask `URL` and exit 0 on a 200, 1 otherwise (a container's health check)")
	Parse(name, usage)
	if *probe != "" {
		os.Exit(healthcheck.Probe(*probe, os.Stderr))
	}
	return Config(name)
}

// Config loads the settings from the environment; if any is bad it prints
// each problem on a line of its own, prefixed with the command's name, and
// nothing else, and exits 2.
func Config(name string) bootstrap.Config {
	cfg, err := bootstrap.LoadConfig(os.Getenv)
	if err != nil {
		Fail(name, err)
	}
	return cfg
}

// Fail reports what stops the command before it starts (each line of err
// prefixed with its name) and exits 2.
func Fail(name string, err error) {
	var problems bootstrap.ConfigError
	if !errors.As(err, &problems) {
		problems = bootstrap.ConfigError{err.Error()}
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, p)
	}
	os.Exit(2)
}
