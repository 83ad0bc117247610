// varlink-go: calls rvisord with Debian's Go varlink library (github.com/varlink/go), an
// independent client, for tests/host/varlink-go.bats. Every step is one call on one
// connection, made the way a Go program makes it, and every answer is checked against the
// interface description the service itself serves.
//
//	varlink-go [-timeout SECONDS] unix:SOCKET STEP...
//
// A STEP is "[more |oneway |bare ]METHOD[ PARAMETERS]", PARAMETERS a JSON object:
//
//	METHOD [PARAMETERS]         conn.Call(): without PARAMETERS it sends "parameters": null
//	bare METHOD                 conn.Send() with nil: no "parameters" field at all
//	more METHOD [PARAMETERS]    conn.Send() with varlink.More, reading replies until the last
//	oneway METHOD [PARAMETERS]  conn.Send() with varlink.Oneway, reading nothing
//
// One line per answer: "METHOD reply JSON", "METHOD continues JSON", "METHOD error NAME JSON"
// or "METHOD sent" (oneway). Exit status: 0 when every step was answered as its interface
// describes; 1 when an answer does not match it (the line says why) or the connection failed
// (the remaining steps are not sent); 2 for a usage error.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/varlink/go/varlink"
	"github.com/varlink/go/varlink/idl"
)

type step struct {
	text   string
	method string
	flags  uint64
	bare   bool
	params json.RawMessage // nil: none given
}

func parseStep(text string) (step, error) {
	s := step{text: text}
	rest := text
	for {
		word, tail, _ := strings.Cut(rest, " ")
		switch word {
		case "more":
			s.flags |= varlink.More
		case "oneway":
			s.flags |= varlink.Oneway
		case "bare":
			s.bare = true
		default:
			s.method = word
			if tail != "" {
				if !json.Valid([]byte(tail)) {
					return s, fmt.Errorf("step %q: the parameters are not JSON", text)
				}
				s.params = json.RawMessage(tail)
			}
			if s.method == "" || (s.bare && (s.params != nil || s.flags != 0)) {
				return s, fmt.Errorf("step %q: expected [more |oneway |bare ]METHOD[ PARAMETERS]", text)
			}
			return s, nil
		}
		rest = tail
	}
}

// describe asks the service, on a connection of its own, which interfaces it serves and
// parses their descriptions.
func describe(ctx context.Context, address string) (map[string]*idl.IDL, error) {
	conn, err := varlink.NewConnection(ctx, address)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var names []string
	if err := conn.GetInfo(ctx, nil, nil, nil, nil, &names); err != nil {
		return nil, fmt.Errorf("GetInfo: %w", err)
	}
	described := map[string]*idl.IDL{}
	for _, name := range names {
		text, err := conn.GetInterfaceDescription(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("GetInterfaceDescription(%s): %w", name, err)
		}
		// The library's parser follows the older grammar, in which an interface name is
		// lower case ("io.rvisor.Manager" is valid today): it parses a lower-cased name.
		parsed, err := idl.New(strings.Replace(text, "interface "+name, "interface "+strings.ToLower(name), 1))
		if err != nil {
			return nil, fmt.Errorf("the description of %s does not parse: %w", name, err)
		}
		described[name] = parsed
	}
	return described, nil
}

func splitName(qualified string) (iface, member string) {
	dot := strings.LastIndex(qualified, ".")
	if dot < 0 {
		return "", qualified
	}
	return qualified[:dot], qualified[dot+1:]
}

type checker struct {
	described map[string]*idl.IDL
}

// reply checks a method's reply parameters against the method's output type.
func (c *checker) reply(method string, params []byte) error {
	iface, member := splitName(method)
	d := c.described[iface]
	if d == nil {
		return fmt.Errorf("a reply from %s, which the service does not describe", iface)
	}
	for _, m := range d.Methods {
		if m.Name == member {
			return checkParameters(d, m.Out, params)
		}
	}
	return fmt.Errorf("a reply from %s, which its interface does not describe", method)
}

// errorReply checks an error's parameters against its declaration. Errors of interfaces
// the service does not describe (the server library's own, io.rvisor.varlink.*) are not
// checked.
func (c *checker) errorReply(name string, params []byte) error {
	iface, member := splitName(name)
	d := c.described[iface]
	if d == nil {
		return nil
	}
	for _, e := range d.Errors {
		if e.Name == member {
			return checkParameters(d, e.Type, params)
		}
	}
	return fmt.Errorf("error %s is not declared by its interface", name)
}

func checkParameters(d *idl.IDL, t *idl.Type, params []byte) error {
	var v interface{} = map[string]interface{}{}
	if len(params) > 0 {
		dec := json.NewDecoder(bytes.NewReader(params))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return err
		}
	}
	return checkValue(d, t, v, "parameters")
}

// checkValue: v (decoded with UseNumber) has type t; where says where it is.
func checkValue(d *idl.IDL, t *idl.Type, v interface{}, where string) error {
	wrong := fmt.Errorf("%s: %v does not have the described type", where, v)
	switch t.Kind {
	case idl.TypeMaybe:
		if v == nil {
			return nil
		}
		return checkValue(d, t.ElementType, v, where)
	case idl.TypeAlias:
		for _, a := range d.Aliases {
			if a.Name == t.Alias {
				return checkValue(d, a.Type, v, where)
			}
		}
		return fmt.Errorf("%s: type %s is not described", where, t.Alias)
	case idl.TypeBool:
		if _, ok := v.(bool); !ok {
			return wrong
		}
	case idl.TypeInt:
		n, ok := v.(json.Number)
		if !ok {
			return wrong
		}
		if _, err := n.Int64(); err != nil {
			return wrong
		}
	case idl.TypeFloat:
		if _, ok := v.(json.Number); !ok {
			return wrong
		}
	case idl.TypeString:
		if _, ok := v.(string); !ok {
			return wrong
		}
	case idl.TypeObject:
		if v == nil {
			return wrong
		}
	case idl.TypeArray:
		a, ok := v.([]interface{})
		if !ok {
			return wrong
		}
		for i, e := range a {
			if err := checkValue(d, t.ElementType, e, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	case idl.TypeMap:
		m, ok := v.(map[string]interface{})
		if !ok {
			return wrong
		}
		for k, e := range m {
			if err := checkValue(d, t.ElementType, e, where+"."+k); err != nil {
				return err
			}
		}
	case idl.TypeEnum:
		s, ok := v.(string)
		if !ok {
			return wrong
		}
		for _, f := range t.Fields {
			if f.Name == s {
				return nil
			}
		}
		return wrong
	case idl.TypeStruct:
		return checkStruct(d, t, v, where)
	}
	return nil
}

// checkStruct: every field that is not optional is there, and nothing else.
func checkStruct(d *idl.IDL, t *idl.Type, v interface{}, where string) error {
	m, ok := v.(map[string]interface{})
	if !ok {
		return fmt.Errorf("%s: %v is not an object", where, v)
	}
	known := map[string]bool{}
	for _, f := range t.Fields {
		known[f.Name] = true
		e, present := m[f.Name]
		if (!present || e == nil) && f.Type.Kind != idl.TypeMaybe {
			return fmt.Errorf("%s.%s is missing", where, f.Name)
		}
		if err := checkValue(d, f.Type, e, where+"."+f.Name); err != nil {
			return err
		}
	}
	for k := range m {
		if !known[k] {
			return fmt.Errorf("%s.%s is not described", where, k)
		}
	}
	return nil
}

func compact(raw []byte) string {
	if len(raw) == 0 || string(raw) == "null" {
		return "{}"
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// errorLine turns what receive() returned into "error NAME JSON": the library's own types
// for org.varlink.service's errors, *varlink.Error with the raw parameters for the others.
func errorLine(err error) (name string, params []byte, ok bool) {
	var ve *varlink.Error
	if errors.As(err, &ve) {
		if raw, isRaw := ve.Parameters.(*json.RawMessage); isRaw && raw != nil {
			params = *raw
		}
		return ve.Name, params, true
	}
	switch e := err.(type) {
	case *varlink.InterfaceNotFound, *varlink.MethodNotFound, *varlink.MethodNotImplemented,
		*varlink.InvalidParameter:
		params, _ = json.Marshal(e)
		return e.Error(), params, true
	}
	return "", nil, false
}

// run makes one step's call. answered: the connection can be used for the next; valid: the
// answers matched the description.
func run(ctx context.Context, conn *varlink.Connection, c *checker, s step) (answered, valid bool) {
	var params interface{}
	if s.params != nil {
		params = s.params
	}
	var receive func(context.Context, interface{}) (uint64, error)
	var err error
	if s.flags == 0 && !s.bare {
		// What conn.Call() does, one reply read below.
		receive, err = conn.Send(ctx, s.method, &params, 0)
	} else {
		receive, err = conn.Send(ctx, s.method, params, s.flags)
	}
	if err != nil {
		fmt.Printf("%s failed: %v\n", s.method, err)
		return false, false
	}
	if s.flags&varlink.Oneway != 0 {
		fmt.Printf("%s sent\n", s.method)
		return true, true
	}
	valid = true
	for {
		var out json.RawMessage
		flags, err := receive(ctx, &out)
		if err != nil {
			name, raw, isReply := errorLine(err)
			if !isReply {
				fmt.Printf("%s failed: %v\n", s.method, err)
				return false, false
			}
			fmt.Printf("%s error %s %s\n", s.method, name, compact(raw))
			if err := c.errorReply(name, raw); err != nil {
				fmt.Printf("%s invalid error: %v\n", s.method, err)
				valid = false
			}
			return true, valid
		}
		kind := "reply"
		if flags&varlink.Continues != 0 {
			kind = "continues"
		}
		fmt.Printf("%s %s %s\n", s.method, kind, compact(out))
		if err := c.reply(s.method, out); err != nil {
			fmt.Printf("%s invalid reply: %v\n", s.method, err)
			valid = false
		}
		if flags&varlink.Continues == 0 {
			return true, valid
		}
	}
}

func main() {
	timeout := flag.Int("timeout", 30, "seconds to wait for each answer")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: varlink-go [-timeout SECONDS] unix:SOCKET [more |oneway |bare ]METHOD[ PARAMETERS]...")
	}
	flag.Parse()
	if flag.NArg() < 2 {
		flag.Usage()
		os.Exit(2)
	}
	var steps []step
	for _, text := range flag.Args()[1:] {
		s, err := parseStep(text)
		if err != nil {
			fmt.Fprintln(os.Stderr, "varlink-go:", err)
			os.Exit(2)
		}
		steps = append(steps, s)
	}
	address := flag.Arg(0)
	wait := time.Duration(*timeout) * time.Second

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	described, err := describe(ctx, address)
	cancel()
	if err != nil {
		fmt.Println("introspection failed:", err)
		os.Exit(1)
	}
	c := &checker{described: described}

	ctx, cancel = context.WithTimeout(context.Background(), wait)
	conn, err := varlink.NewConnection(ctx, address)
	cancel()
	if err != nil {
		fmt.Println("connect failed:", err)
		os.Exit(1)
	}
	defer conn.Close()
	status := 0
	for _, s := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		answered, valid := run(ctx, conn, c, s)
		cancel()
		if !valid {
			status = 1
		}
		if !answered {
			break
		}
	}
	os.Exit(status)
}
