package opensearch

import (
	"fmt"
	"net/http"
	"testing"
)

// The bodies are OpenSearch 2's own answers.
func TestErrorTypesAreReadFromTheAnswer(t *testing.T) {
	exists := answerError(http.StatusBadRequest, []byte(`{"error":{"root_cause":[{"type":"resource_already_exists_exception","reason":"index [x/u] already exists","index":"x"}],"type":"resource_already_exists_exception","reason":"index [x/u] already exists","index":"x"},"status":400}`))
	missing := answerError(http.StatusNotFound, []byte(`{"error":"alias [x] missing","status":404}`))
	unreadable := itemError(http.StatusBadRequest, []byte(`{"type":"mapper_parsing_exception","reason":"failed to parse field [number] of type [long] in document with id '1'. Preview of field's value: 'abc'","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"abc\""}}`))
	strict := itemError(http.StatusBadRequest, []byte(`{"type":"strict_dynamic_mapping_exception","reason":"mapping set to strict, dynamic introduction of [parsing_exception] within [_doc] is not allowed"}`))
	notJSON := answerError(http.StatusBadGateway, []byte(`<html>bad gateway</html>`))
	wrapped := fmt.Errorf("ensuring: %w", exists)
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"already exists", is(wrapped, http.StatusBadRequest, typed("resource_already_exists_exception")), true},
		{"already exists, another status", is(wrapped, http.StatusNotFound, nil), false},
		{"already exists is no parsing failure", is(exists, http.StatusBadRequest, unparsable), false},
		{"a missing alias", is(missing, http.StatusNotFound, nil), true},
		{"a missing alias has no type", is(missing, http.StatusNotFound, typed("resource_already_exists_exception")), false},
		{"an unreadable document", is(unreadable, http.StatusBadRequest, unparsable), true},
		{"the cause's type counts", is(unreadable, http.StatusBadRequest, typed("illegal_argument_exception")), true},
		{"a word in the reason is no type", is(strict, http.StatusBadRequest, unparsable), false},
		{"a body that is not JSON", is(notJSON, http.StatusBadGateway, unparsable), false},
		{"not OpenSearch's answer", is(fmt.Errorf("dial: refused"), http.StatusNotFound, nil), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}
