<?php
// Installs the site when its database has no WordPress tables yet. Waits up to 60 s for the
// database; if it never answers, exits 1 and the kubelet starts the container again.
$deadline = time() + 60;
mysqli_report(MYSQLI_REPORT_OFF);
while (!@mysqli_connect(
    getenv('WORDPRESS_DATABASE_HOST'),
    getenv('WORDPRESS_DATABASE_USER'),
    getenv('WORDPRESS_DATABASE_PASSWORD'),
    getenv('WORDPRESS_DATABASE_NAME')
)) {
    if (time() > $deadline) {
        fwrite(STDERR, "install: the database does not answer: " . mysqli_connect_error() . "\n");
        exit(1);
    }
    sleep(1);
}
$_SERVER['HTTP_HOST'] = 'localhost';
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
if (is_blog_installed()) {
    echo "install: the site is installed\n";
    exit(0);
}
wp_install(
    getenv('WORDPRESS_BLOG_NAME') ?: 'WordPress',
    getenv('WORDPRESS_USERNAME') ?: 'admin',
    'admin@example.test',
    false,
    '',
    wp_generate_password(24)
);
echo "install: installed the site\n";
