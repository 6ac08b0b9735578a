package opensearch

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// apiError is an answer of OpenSearch's that is not a success: its status,
// its body for the logs, and the types of its error and of the errors that
// caused it, outermost first, when the body says (a request's answer is
// {"error": {"type": …, "caused_by": …}}; a bulk item's error is the inner
// object itself; some answers carry only a sentence).
type apiError struct {
	status int
	body   string
	types  []string
}

func (e *apiError) Error() string { return fmt.Sprintf("opensearch: status %d: %s", e.status, e.body) }

type errorCause struct {
	Type     string      `json:"type"`
	CausedBy *errorCause `json:"caused_by"`
}

// answerError reads a request's answer.
func answerError(status int, body []byte) *apiError {
	var answer struct {
		Error json.RawMessage `json:"error"`
	}
	_ = json.Unmarshal(body, &answer) // a body that is not JSON has no types
	e := itemError(status, answer.Error)
	e.body = string(body)
	return e
}

// itemError reads a bulk item's error.
func itemError(status int, raw []byte) *apiError {
	e := &apiError{status: status, body: string(raw)}
	var cause errorCause
	if json.Unmarshal(raw, &cause) == nil { // a sentence instead of an object: no types
		for c := &cause; c != nil && c.Type != ""; c = c.CausedBy {
			e.types = append(e.types, c.Type)
		}
	}
	return e
}

// is tells whether err is OpenSearch's answer with status and an error
// (or a cause) whose type passes match (nil: any answer with status).
func is(err error, status int, match func(typ string) bool) bool {
	var e *apiError
	if !errors.As(err, &e) || e.status != status {
		return false
	}
	if match == nil {
		return true
	}
	for _, t := range e.types {
		if match(t) {
			return true
		}
	}
	return false
}

// typed matches one type exactly.
func typed(want string) func(string) bool { return func(t string) bool { return t == want } }

// unparsable matches the types of a document OpenSearch cannot read
// (mapper_parsing_exception, document_parsing_exception, parsing_exception).
func unparsable(t string) bool { return strings.HasSuffix(t, "parsing_exception") }
