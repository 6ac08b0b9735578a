package bootstrap_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatsvc/chat/adapters/metrics"
)

// exported lists the metric names the service exports (a histogram's
// _bucket, _sum and _count included) and the label names of each.
func exported(t *testing.T) map[string][]string {
	t.Helper()
	m := metrics.New()
	out := map[string][]string{}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	labels := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok || v.Type().Field(i).Name == "Registry" {
			continue
		}
		ch := make(chan *prometheus.Desc)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			name := fq.FindStringSubmatch(d.String())[1]
			var ls []string
			if l := labels.FindStringSubmatch(d.String()); l != nil && l[1] != "" {
				ls = strings.Split(l[1], ",")
			}
			for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
				out[name+suffix] = ls
			}
		}
	}
	// The Go and process collectors the registry carries.
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if _, ok := out[f.GetName()]; !ok {
			out[f.GetName()] = nil
		}
	}
	return out
}

var metricName = regexp.MustCompile(`\b((?:chat|go|process)_[a-z_]+)`)

// Every metric the dashboard and the alerting rules use is one the service
// exports, and the rules pass promtool.
func TestDashboardsAndAlertsUseExportedMetrics(t *testing.T) {
	have := exported(t)
	for _, file := range []string{"../deploy/prometheus/alerts.yml", "../deploy/grafana/dashboards/chat.json"} {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(file, ".json") && !json.Valid(raw) {
			t.Fatalf("%s is not JSON", file)
		}
		used := map[string]bool{}
		for _, m := range metricName.FindAllStringSubmatch(string(raw), -1) {
			used[m[1]] = true
		}
		if len(used) < 5 {
			t.Fatalf("%s uses only %v", file, used)
		}
		for name := range used {
			if _, ok := have[name]; !ok {
				t.Errorf("%s uses %s, which the service does not export", file, name)
			}
		}
	}
	out, err := exec.Command("promtool", "check", "rules", "../deploy/prometheus/alerts.yml").CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	// The scrape configuration (every replica, by DNS) is valid too.
	if out, err := exec.Command("promtool", "check", "config", "--syntax-only", "../deploy/prometheus/prometheus.yml").CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	// Every alert has its section in the runbook.
	rules, _ := os.ReadFile("../deploy/prometheus/alerts.yml")
	runbook, err := os.ReadFile("../docs/RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`alert: (\w+)`).FindAllStringSubmatch(string(rules), -1) {
		if !strings.Contains(string(runbook), "## "+m[1]) {
			t.Errorf("docs/RUNBOOK.md has no section for %s", m[1])
		}
	}
}

// Every series has bounded label cardinality: labels are taken from a small
// known set (a route template, a status, a topic...), never a token or a number.
func TestMetricLabelsAreBounded(t *testing.T) {
	bounded := map[string]bool{"method": true, "route": true, "status": true, "topic": true, "group": true, "dependency": true, "result": true, "kind": true, "state": true}
	for name, labels := range exported(t) {
		for _, l := range labels {
			if !bounded[strings.TrimSpace(l)] {
				t.Errorf("%s has the label %q, which is not one of the bounded ones", name, l)
			}
		}
	}
	// Routes are templates: a request to a token's path is counted under the
	// route, not the path.
	s := embeddedStack(t, nil)
	tok := newApplication(t, s, "cardinality")
	s.call(t, "GET", "/api/v1/chat_applications/"+tok, nil).want(t, 200)
	s.call(t, "GET", "/api/v1/no/such/"+tok, nil)
	m := s.call(t, "GET", "/metrics", nil).want(t, 200)
	if strings.Contains(m.Raw, tok) {
		t.Fatal("a token reached a metric label")
	}
}

// The observability profile loads: Prometheus and Grafana with their files.
func TestObservabilityProfile(t *testing.T) {
	opts, err := cli.NewProjectOptions([]string{"../docker-compose.yml"}, cli.WithName("chat"), cli.WithOsEnv, cli.WithProfiles([]string{"observability"}))
	if err != nil {
		t.Fatal(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"prometheus", "grafana"} {
		svc, err := project.GetService(name)
		if err != nil {
			t.Fatalf("service %s: %v", name, err)
		}
		for _, v := range svc.Volumes {
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("%s mounts %s, which is not in the repository: %v", name, v.Source, err)
			}
		}
	}
}
