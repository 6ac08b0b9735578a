package bootstrap

import (
	"net"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/chatsvc/chat/adapters/eventwire"
	"github.com/chatsvc/chat/internal/commalist"
)

// valid checks what the type's syntax leaves open: counts are not
// negative, durations are positive, and the field's oneof and check hold.
func (s Setting) valid(v reflect.Value) bool {
	switch {
	case v.Type() == reflect.TypeOf(time.Duration(0)):
		return v.Int() > 0
	case v.Kind() == reflect.Int || v.Kind() == reflect.Int64:
		return v.Int() >= 0 && (s.field.Tag.Get("check") != "atleast1" || v.Int() >= 1)
	}
	if oneof := strings.Fields(s.field.Tag.Get("oneof")); len(oneof) > 0 {
		values, _ := v.Interface().([]string)
		if v.Kind() == reflect.String {
			values = []string{v.String()}
		}
		for _, x := range values {
			if !strings.Contains(" "+strings.Join(oneof, " ")+" ", " "+x+" ") {
				return false
			}
		}
		return len(values) > 0
	}
	value := v.String()
	if value == "" || v.Kind() != reflect.String {
		return true
	}
	switch s.field.Tag.Get("check") {
	case "hostport":
		return hostPort(value)
	case "seeds":
		seeds := commalist.Split(value)
		for _, seed := range seeds {
			if !hostPort(seed) {
				return false
			}
		}
		return len(seeds) == len(strings.Split(value, ","))
	case "urls":
		for _, node := range strings.Split(value, ",") {
			if u, err := url.Parse(strings.TrimSpace(node)); err != nil || u.Scheme == "" || u.Host == "" {
				return false
			}
		}
	case "streamname":
		return eventwire.ValidPrefix(value)
	case "cidrs":
		for _, a := range strings.Split(value, ",") {
			a = strings.TrimSpace(a)
			if _, _, err := net.ParseCIDR(a); err != nil && net.ParseIP(a) == nil {
				return false
			}
		}
	}
	return true
}

func hostPort(v string) bool {
	_, port, err := net.SplitHostPort(v)
	if err != nil {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// accepts says what the setting accepts, for its error.
func (s Setting) accepts() string {
	if a := s.field.Tag.Get("accepts"); a != "" {
		return a
	}
	if oneof := strings.Fields(s.field.Tag.Get("oneof")); len(oneof) > 0 {
		words := strings.Join(oneof[:len(oneof)-1], ", ") + " or " + oneof[len(oneof)-1]
		if s.field.Type.Kind() == reflect.Slice {
			return "one or more of " + strings.Join(oneof, ", ") + ", comma-separated"
		}
		return words
	}
	switch s.field.Tag.Get("check") {
	case "hostport":
		return "host:port, such as :8080 or 127.0.0.1:8080"
	case "seeds":
		return "host:port, or a Redis Cluster's seed nodes as host:port, comma-separated, none empty"
	case "urls":
		return "a URL such as http://localhost:9200, or several comma-separated"
	case "streamname":
		return "a name without braces (the partitions are Redis Cluster hash tags)"
	case "atleast1":
		return "an integer of at least 1"
	case "cidrs":
		return "IP addresses or CIDRs such as 10.0.0.0/8, comma-separated"
	}
	switch s.field.Type {
	case reflect.TypeOf(time.Duration(0)):
		return "a positive duration such as 5s"
	case reflect.TypeOf(true):
		return "true or false"
	}
	return "a non-negative integer"
}
