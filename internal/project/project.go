// Package project locates the intro-aws-go checkout, for code that reads the
// project's own files: the Lambda bundler at synth time, and tests (`go test` runs each
// package in its own directory; the CDK app runs at the root).
package project

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// ModulePath is the module path in go.mod.
const ModulePath = "github.com/intro-aws-go/intro-aws-go"

// Root is the directory whose go.mod declares ModulePath, found upwards from the
// working directory.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if f, err := os.Open(filepath.Join(dir, "go.mod")); err == nil {
			line, _ := bufio.NewReader(f).ReadString('\n')
			f.Close()
			if strings.TrimSpace(line) == "module "+ModulePath {
				return dir, nil
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("the intro-aws-go go.mod was not found above the working directory: run from inside the project")
		}
		dir = parent
	}
}

// Path is rel (slash-separated, from the module root) as an absolute path: the one way
// the app and its tests name the project's files (Docker build contexts, the web page,
// Go Lambda packages), whatever their working directory. The CDK app checks Root once
// at start, so here a missing root is a bug.
func Path(rel string) string {
	root, err := Root()
	if err != nil {
		panic(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// TestToolsDir (under Root) holds the package.json of the test-only npm packages
// (onnxruntime-node, playwright-core) and, once `make test` installed them, their
// node_modules. The root package.json pins only the CDK CLI, so that `make synth`
// installs 30 MB instead of 250 MB.
const TestToolsDir = "testtools"
