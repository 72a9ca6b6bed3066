/* SPDX-License-Identifier: MIT */
/*
 * libxml2 for save, load and --mi xml, loaded (dlopen) by those commands
 * only: linked, it and what it needs (ICU, libstdc++, liblzma, libz) were
 * loaded and relocated by every run of the CLI, milliseconds of each
 * `rseqtrace snapshot record`. Its functions are called through `libxml2`,
 * members named as libxml2's and typed from its headers.
 */
#ifndef RT_CLI_XML_H
#define RT_CLI_XML_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlwriter.h>

#define XML_FUNCS(F) \
	F(xmlBufferCreate) F(xmlBufferFree) F(xmlBufferContent) F(xmlBufferLength) \
	F(xmlNewTextWriterMemory) F(xmlFreeTextWriter) F(xmlTextWriterSetIndent) \
	F(xmlTextWriterSetIndentString) F(xmlTextWriterStartDocument) \
	F(xmlTextWriterEndDocument) F(xmlTextWriterStartElement) F(xmlTextWriterEndElement) \
	F(xmlTextWriterWriteElement) F(xmlTextWriterWriteFormatElement) \
	F(xmlTextWriterWriteAttribute) F(xmlReadFile) F(xmlGetLastError) \
	F(xmlDocGetRootElement) F(xmlFreeDoc) F(xmlNodeGetContent) F(xmlGetLineNo)

struct xml_lib {
#define XML_MEMBER(f) __typeof__(f) *f;
	XML_FUNCS(XML_MEMBER)
#undef XML_MEMBER
	xmlFreeFunc *free_fn; /* its xmlFree: a variable holding the function */
};

extern struct xml_lib libxml2;

/* Loads libxml2 into `libxml2` (once): 0, or -1 said (it is not installed). */
int xml_load(void);

#endif
