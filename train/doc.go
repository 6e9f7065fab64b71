// Package train differentiates onyx graphs.
package train
