/* Declarations of every command's definition (see commands.list). */
#ifndef DCFORM_COMMANDS_H
#define DCFORM_COMMANDS_H

#include "cmd.h"

#define CMD(name) extern const struct cmd cmd_##name##_def;
#include "commands.list"
#undef CMD

#endif
