module github.com/onyxml/onyx/backends/amd64/_asm

go 1.26
