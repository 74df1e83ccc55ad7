/* placeholder */
typedef int dd_placeholder_t;
