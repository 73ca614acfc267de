/* The whole sluice plugin ABI: include this one header. */
#ifndef SLUICE_H
#define SLUICE_H
#include "abi.h"
#include "types.h"
#include "plugin.h"
#endif
