package bootstrap

import (
	"fmt"
	"io"
	"reflect"
	"text/tabwriter"
)

// reads names the parts of Config each command's graph is given.
var reads = map[string][]string{
	"api": {"Profile", "Log", "Startup", "Debug", "API", "Live", "ReadCache", "SQLite", "Counters",
		"MySQL", "Redis", "Sequencer", "OpenSearch", "Stream", "Webhook", "Jobs"},
	"worker":      {"Profile", "Log", "Startup", "MySQL", "Redis", "ReadCache", "OpenSearch", "Stream", "Consumer", "Indexer", "Counters", "Worker", "Webhook", "Jobs", "Sequencer"},
	"migrate":     {"Log", "Startup", "MySQL"},
	"reindex":     {"Profile", "Log", "Startup", "MySQL", "OpenSearch"},
	"deadletters": {"Log", "Startup", "Redis", "Stream"},
	"searchbench": {"Log", "Startup", "OpenSearch"},
}

// Settings are the settings a command (api, worker, migrate, reindex,
// deadletters, searchbench) reads, in Config's order.
func Settings(command string) []Setting {
	all := settings(reflect.ValueOf(&Config{}).Elem(), "")
	var out []Setting
	for _, part := range reads[command] {
		for _, s := range all {
			if s.part == part {
				out = append(out, s)
			}
		}
	}
	return out
}

// WriteSettings prints the settings a command reads, one a line: the
// variable with its default, and what it is for.
func WriteSettings(w io.Writer, command string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Settings (environment variables, with their defaults):")
	for _, s := range Settings(command) {
		help := s.Help
		if s.field.Tag.Get("production") == "required" {
			help += " (required in production)"
		}
		fmt.Fprintf(tw, "  %s=%s\t%s\n", s.Key, s.Default, help)
	}
	return tw.Flush()
}
