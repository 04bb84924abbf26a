/* cdir: a directory-backed sync-core connector in plain C. Its one public symbol is
   sync_connector_entry(), declared in sync_connector.h. */
#ifndef CDIR_H
#define CDIR_H
#include "sync_connector.h"
#endif
