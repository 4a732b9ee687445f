package tinymodel

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/intro-aws-go/intro-aws-go/handson/contracts/qabot"
	"github.com/intro-aws-go/intro-aws-go/internal/project"
)

// RuntimeLibrary returns ONNX Runtime's shared library for tests and benchmarks:
// $ORT_LIBRARY_PATH when set, otherwise the one the npm package onnxruntime-node
// (pinned in testtools/package.json to the version github.com/yalue/onnxruntime_go
// expects) ships in testtools/node_modules.
func RuntimeLibrary() (string, error) {
	if p := os.Getenv(qabot.EnvORTLibrary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", qabot.EnvORTLibrary, p, err)
		}
		return p, nil
	}
	root, err := project.Root()
	if err != nil {
		return "", err
	}
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	dir := filepath.Join(root, project.TestToolsDir, "node_modules", "onnxruntime-node", "bin", "napi-v6", runtime.GOOS, arch)
	pattern := "libonnxruntime.so.1"
	if runtime.GOOS == "darwin" {
		pattern = "libonnxruntime.*.dylib"
	}
	matches, _ := filepath.Glob(filepath.Join(dir, pattern))
	if len(matches) == 0 {
		return "", errors.New("ONNX Runtime library not found in testtools/node_modules/onnxruntime-node: run `make test-setup` " +
			"(npm ci --prefix testtools with ONNXRUNTIME_NODE_INSTALL=skip), or set " + qabot.EnvORTLibrary)
	}
	return matches[0], nil
}
