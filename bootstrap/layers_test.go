package bootstrap_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The layers stay honest: what each package may import follows from its folder.
func TestLayerImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/chatsvc/chat/...").Output()
	if err != nil {
		t.Fatal(err)
	}
	const mod = "github.com/chatsvc/chat/"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, imports := strings.TrimPrefix(fields[0], mod), fields[1:]
		for _, imp := range imports {
			own := strings.HasPrefix(imp, mod)
			rel := strings.TrimPrefix(imp, mod)
			std := !strings.Contains(strings.Split(imp, "/")[0], ".")
			switch {
			case pkg == "domain" && !std:
				t.Errorf("domain imports %s: it may import the standard library only", imp)
			case pkg == "ports" && !std && rel != "domain":
				t.Errorf("ports imports %s", imp)
			case (pkg == "application" || strings.HasPrefix(pkg, "application/")) && !std && rel != "domain" && rel != "ports":
				t.Errorf("application imports %s: use cases see domain and ports only", imp)
			case strings.HasPrefix(imp, "go.uber.org/fx") && !strings.HasPrefix(pkg, "bootstrap") && !strings.HasPrefix(pkg, "cmd/"):
				t.Errorf("%s imports fx: fx stays in bootstrap and cmd", pkg)
			case own && (rel == "ent" || strings.HasPrefix(rel, "ent/")) && !strings.HasPrefix(pkg, "ent") && pkg != "adapters/entstore":
				t.Errorf("%s imports %s: only the ent store does", pkg, imp)
			case strings.HasPrefix(pkg, "adapters/") && own && strings.HasPrefix(rel, "bootstrap"):
				t.Errorf("%s imports bootstrap", pkg)
			}
		}
	}
}
