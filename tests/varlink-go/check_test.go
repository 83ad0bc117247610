// The answer checker's own test: each kind of type, accepted when it matches and refused
// when it does not (rvisord's answers all match, so varlink-go.bats alone cannot show that
// a mismatch would be caught). Built as build/tools/varlink-go.test, run by the bats file.
package main

import (
	"testing"

	"github.com/varlink/go/varlink/idl"
)

const checkIDL = `interface org.example.check
type Inner (n: int, tag: ?string)
method M() -> (
  s: string, i: int, b: bool, f: float, o: object, a: []string, m: [string]int,
  e: (one, two), inner: Inner, maybe: ?[]Inner
)
error E (reason: string)
`

const good = `{"s":"x","i":-3,"b":true,"f":1.5,"o":{"k":[1]},"a":["y"],"m":{"k":2},"e":"two",
"inner":{"n":1},"maybe":[{"n":2,"tag":"t"}]}`

func newChecker(t *testing.T) *checker {
	d, err := idl.New(checkIDL)
	if err != nil {
		t.Fatal(err)
	}
	return &checker{described: map[string]*idl.IDL{"org.example.check": d}}
}

func TestReplyMatches(t *testing.T) {
	c := newChecker(t)
	for _, reply := range []string{
		good,
		`{"s":"","i":0,"b":false,"f":0,"o":{},"a":[],"m":{},"e":"one","inner":{"n":0,"tag":null}}`,
		`{"s":"","i":0,"b":false,"f":0,"o":{},"a":[],"m":{},"e":"one","inner":{"n":0},"maybe":null}`,
	} {
		if err := c.reply("org.example.check.M", []byte(reply)); err != nil {
			t.Errorf("%s: %v", reply, err)
		}
	}
}

func TestReplyMismatches(t *testing.T) {
	c := newChecker(t)
	for _, reply := range []string{`{}`, `{"s":"x"}`, `null`, `[]`, `{"extra":1,` + good[1:]} {
		if err := c.reply("org.example.check.M", []byte(reply)); err == nil {
			t.Errorf("accepted %s", reply)
		}
	}
	fields := []string{"s", "i", "b", "f", "o", "a", "m", "e", "inner", "maybe"}
	for _, bad := range [][2]string{
		{"s", `1`}, {"i", `"1"`}, {"i", `1.5`}, {"b", `"true"`}, {"f", `"1"`}, {"o", `null`},
		{"a", `[1]`}, {"a", `{}`}, {"m", `{"k":"v"}`}, {"e", `"three"`}, {"inner", `{"tag":"t"}`},
		{"inner", `{"n":1,"more":1}`}, {"maybe", `[{"n":"1"}]`},
	} {
		reply := `{"` + bad[0] + `":` + bad[1]
		for _, other := range fields {
			if other != bad[0] {
				reply += `,"` + other + `":` + goodValue(t, other)
			}
		}
		reply += `}`
		if err := c.reply("org.example.check.M", []byte(reply)); err == nil {
			t.Errorf("%s: accepted %s", bad[0], reply)
		}
	}
}

func goodValue(t *testing.T, field string) string {
	values := map[string]string{
		"s": `"x"`, "i": `1`, "b": `true`, "f": `1.5`, "o": `{}`, "a": `["y"]`, "m": `{"k":2}`,
		"e": `"one"`, "inner": `{"n":1}`, "maybe": `[]`,
	}
	v, ok := values[field]
	if !ok {
		t.Fatalf("no good value for %s", field)
	}
	return v
}

func TestUnknownMethodAndErrors(t *testing.T) {
	c := newChecker(t)
	if c.reply("org.example.check.Other", []byte(`{}`)) == nil {
		t.Error("a reply of an undescribed method was accepted")
	}
	if c.reply("org.example.none.M", []byte(`{}`)) == nil {
		t.Error("a reply of an undescribed interface was accepted")
	}
	if err := c.errorReply("org.example.check.E", []byte(`{"reason":"r"}`)); err != nil {
		t.Error(err)
	}
	if c.errorReply("org.example.check.E", []byte(`{}`)) == nil {
		t.Error("an error without its mandatory parameter was accepted")
	}
	if c.errorReply("org.example.check.Undeclared", []byte(`{}`)) == nil {
		t.Error("an undeclared error was accepted")
	}
	// The server library's own errors (io.rvisor.varlink.*) have no description to check.
	if err := c.errorReply("org.example.none.ProtocolError", []byte(`{"reason":"r"}`)); err != nil {
		t.Error(err)
	}
}

func TestParseStep(t *testing.T) {
	s, err := parseStep(`more a.b.C {"x": [1, 2]}`)
	if err != nil || s.method != "a.b.C" || s.flags == 0 || string(s.params) != `{"x": [1, 2]}` {
		t.Errorf("%+v %v", s, err)
	}
	for _, bad := range []string{``, `more`, `a.b.C {`, `bare a.b.C {}`, `bare more a.b.C`} {
		if _, err := parseStep(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
