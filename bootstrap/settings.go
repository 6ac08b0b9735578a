package bootstrap

import (
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/caarlos0/env/v11"

	"github.com/chatsvc/chat/internal/commalist"
)

// ConfigError is every bad setting, one line each naming its variable and
// what it accepts.
type ConfigError []string

func (e ConfigError) Error() string { return strings.Join(e, "\n") }

// LoadConfig reads the environment through getenv (os.Getenv in main, a map
// in tests; blank is unset) and reports every bad or missing setting at once,
// before anything starts.
func LoadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	var problems ConfigError
	all := settings(reflect.ValueOf(&cfg).Elem(), "")
	for _, s := range all {
		if p := s.load(strings.TrimSpace(getenv(s.Key))); p != "" {
			problems = append(problems, p)
		}
	}
	for _, s := range all {
		if s.field.Tag.Get("production") == "required" && cfg.Profile == ProfileProduction && s.value.IsZero() {
			problems = append(problems, s.Key+" is required in the production profile")
		}
	}
	if cfg.Consumer.Name == "" {
		host, _ := os.Hostname()
		cfg.Consumer.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if len(problems) > 0 {
		return cfg, problems
	}
	return cfg, nil
}

// Setting is one variable the service reads, as its field's tags declare it.
type Setting struct {
	Key, Default, Help string
	part               string // the field of Config it is in
	field              reflect.StructField
	value              reflect.Value // the field in the Config being loaded
}

// settings are the tagged fields of the config struct v, depth first.
func settings(v reflect.Value, part string) []Setting {
	var out []Setting
	for i := range v.NumField() {
		f, p := v.Type().Field(i), part
		if p == "" {
			p = f.Name
		}
		if f.Tag.Get("env") == "" {
			out = append(out, settings(v.Field(i), p)...)
			continue
		}
		out = append(out, Setting{Key: f.Tag.Get("env"), Default: f.Tag.Get("envDefault"), Help: f.Tag.Get("help"), part: p, field: f, value: v.Field(i)})
	}
	return out
}

// Variables lists every environment variable the service reads.
func Variables() []string {
	var out []string
	for _, s := range settings(reflect.ValueOf(&Config{}).Elem(), "") {
		out = append(out, s.Key)
	}
	return out
}

// load sets the setting from raw (its default when blank), or says why not.
// env parses one setting at a time, so that a failure names its variable
// (env's own errors name the Go field, which several structs share).
func (s Setting) load(raw string) string {
	one := reflect.New(reflect.StructOf([]reflect.StructField{{Name: "V", Type: s.field.Type, Tag: s.field.Tag}}))
	vars := map[string]string{}
	if raw != "" {
		vars[s.Key] = raw
	}
	v := one.Elem().Field(0)
	err := env.ParseWithOptions(one.Interface(), env.Options{Environment: vars})
	if list, ok := v.Interface().([]string); ok {
		v.Set(reflect.ValueOf(commalist.Trim(list)))
	}
	if err != nil || !s.valid(v) {
		if raw == "" {
			raw = s.Default
		}
		return fmt.Sprintf("%s must be %s, not %q", s.Key, s.accepts(), raw)
	}
	s.value.Set(v)
	return ""
}
