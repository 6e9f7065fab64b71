module github.com/onyxml/onyx

go 1.26
