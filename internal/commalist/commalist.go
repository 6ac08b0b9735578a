// Package commalist reads the settings that list several values separated
// by commas (Redis seeds, OpenSearch nodes, worker roles): one reading for
// every setting, so that they all take spaces and stray commas alike.
package commalist

import "strings"

// Split returns the non-empty items of a comma-separated list, trimmed.
func Split(list string) []string { return Trim(strings.Split(list, ",")) }

// Trim returns the items trimmed of spaces, without the empty ones.
func Trim(items []string) []string {
	var out []string
	for _, v := range items {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
