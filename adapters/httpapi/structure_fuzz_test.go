package httpapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/chatsvc/chat/domain"
)

// A message's type and attributes: whatever arrives is refused with a typed
// client error, or accepted as a valid type and attributes that are a JSON
// object of at most 4 KiB, valid UTF-8, holding exactly what was sent, and
// that read back as themselves (what is stored passes the check again).
func FuzzMessageStructure(f *testing.F) {
	for _, seed := range []string{
		`{"body":"x","type":"card.v1","attributes":{"z":1.50,"a":"é"}}`, `{"body":"x","type":"Card"}`, `{"body":"x","type":""}`,
		`{"body":"x","attributes":[1]}`, `{"body":"x","attributes":"{}"}`, `{"body":"x","attributes":{"k":"\ud800"}}`,
		`{"body":"x","attributes":{ "a" : [ 1 , 2 ] }}`, `{"body":"x","attributes":null,"type":null}`, `{"body":"x","type":5}`,
		`{"message":{"body":"x","type":"system","attributes":{}}}`, `{"body":"x","attributes":{"a":{"b":{"c":{"d":{}}}}}}`,
		"{\"body\":\"x\",\"attributes\":{\"\xff\":1}}", `{"body":"x","attributes":{"a":1}}trailing`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := parseNewMessage(body, mediaJSON)
		if err != nil {
			checkRefused(t, body, err)
			return
		}
		typ, err := domain.AppCaller("AbCdEfGhIjKlMnOpQrStUvWx").ParseType(req.Type)
		if err != nil {
			checkRefused(t, body, err)
		} else if typ == "" || len(typ) > 32 {
			t.Fatalf("accepted type %q from %q", typ, body)
		}
		if req.Attributes == nil {
			return
		}
		attrs, err := domain.ParseAttributes(req.Attributes)
		if err != nil {
			checkRefused(t, body, err)
			return
		}
		if len(attrs) > domain.MaxAttributesBytes || !utf8.ValidString(attrs) || attrs[0] != '{' {
			t.Fatalf("accepted attributes %q from %q", attrs, body)
		}
		var sent, kept any
		if json.Unmarshal(req.Attributes, &sent) != nil || json.Unmarshal([]byte(attrs), &kept) != nil || !reflect.DeepEqual(sent, kept) {
			t.Fatalf("the attributes changed: %q became %q", req.Attributes, attrs)
		}
		var compact bytes.Buffer
		_ = json.Compact(&compact, req.Attributes)
		if again, err := domain.ParseAttributes([]byte(attrs)); err != nil || again != attrs || attrs != compact.String() {
			t.Fatalf("the kept attributes %q read back as %q (%v); sent compacted %q", attrs, again, err, compact.String())
		}
	})
}
