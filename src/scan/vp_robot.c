/* vp_robot.c - ROBOT: not written yet. */
#include "scan/vulnscan.h"

void vp_robot(struct vscan *vs)
{
	(void)vs;
}
